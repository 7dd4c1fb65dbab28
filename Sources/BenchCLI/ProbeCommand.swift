import ArgumentParser
import Bench
import Checkpoints
import Foundation

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Run one batch through a method with official-named weights; write logits, loss and gradients.",
        discussion: """
        Example: bench probe --method vpt-deep --config probe.yaml --weights model.pth --input x.npy --labels y.npy --out probe/
        Writes logits.npy (eval mode), loss.txt (training loss, dropout off) and grads.safetensors (official names).
        An official configuration and its arguments may follow (after every bench option), read exactly as
        `bench recipe import` reads them; its method options are used, the probe config's `options` win:
          bench probe --method vpt-deep --config probe.yaml … configs/prompt/cub.yaml MODEL.PROMPT.NUM_TOKENS 10
          bench probe --method insvp --config probe.yaml … sh/cifar10.sh --p_len=8 --p_len_vpt=8
        The probe configuration is printed first, each option with where its value came from; --show-config stops there.
        """)

    @OptionGroup var common: CommonOptions
    @Option(help: "Method id.") var method: String
    @Option(help: "Probe config (YAML): backbone (ViT shape), swin or resnet shape, num_classes, options.") var config: String
    @Option(help: "Full weights in the official state-dict names (.pth, .safetensors, .npz).") var weights: String?
    @Option(help: "Input images, float32 .npy [B, C, H, W].") var input: String?
    @Option(help: "Labels, .npy [B].") var labels: String?
    @Option(help: "Output folder.") var out: String?
    @Option(help: "The official file's path inside its repository, for the printed sources (default: FILE as given).") var path: String?
    @Option(help: "The official repository (owner/name) when the method has several (as for `bench recipe import`).") var repo: String?
    @Flag(help: "Print the probe configuration (each value with its source) and stop: no weights or inputs needed.") var showConfig = false
    @Argument(help: "An official config file, sh/*.sh script or .py entry point (as for `bench recipe import`).") var file: String?
    @Argument(parsing: .captureForPassthrough, help: "The official command's arguments (yacs KEY VALUE pairs, argparse --flags).")
    var args: [String] = []

    func run() throws {
        common.apply()
        for a in args where ["--out", "--path", "--method", "--config", "--weights", "--input", "--labels", "--show-config", "--threads", "--repo"]
            .contains(a.split(separator: "=").first.map(String.init) ?? a) {
            throw ValidationError("'\(a)' comes after FILE, so it is read as an official argument; put bench's options before FILE")
        }
        let cfg = try ProbeConfig.load(URL(fileURLWithPath: config))
        var official: ImportResult?
        if let file {
            let pin: OfficialImporter.Pin
            do { pin = try OfficialImporter.pin(method, repo: repo, file: file) } catch { throw ValidationError("\(error)") }
            official = try OfficialImporter.run(method: method, file: URL(fileURLWithPath: file), displayPath: path ?? file, args: args, repo: pin.repo)
            print("official configuration: \(pin.repo) @ \(pin.commit.prefix(7)) \(path ?? file)" + (args.isEmpty ? "" : " " + args.joined(separator: " ")) + " (\(pin.format))")
        }
        let resolved = try cfg.resolve(method: method, official: official, configName: config)
        print(resolved.describe(method: method, config: cfg, configName: config))
        let m = try cfg.makeMethod(method, options: resolved.options)
        if showConfig { return }
        guard let weights, let input, let labels, let out else {
            throw ValidationError("--weights, --input, --labels and --out are needed to run the probe (or pass --show-config)")
        }
        let report = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(URL(fileURLWithPath: weights)))
        if !report.unexpected.isEmpty { print("note: unused tensors in the weights: \(report.unexpected.joined(separator: ", "))") }
        let (x, y) = try Probe.readInputs(images: URL(fileURLWithPath: input), labels: URL(fileURLWithPath: labels))
        let r = try Probe.run(m, images: x, labels: y)
        try Probe.write(r, to: URL(fileURLWithPath: out))
        print("loss \(r.loss); logits \(r.logits.shape); \(r.gradients.count) gradients → \(out)")
    }
}
