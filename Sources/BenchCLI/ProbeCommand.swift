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
        """)

    @OptionGroup var common: CommonOptions
    @Option(help: "Method id.") var method: String
    @Option(help: "Probe config (YAML): backbone (ViT shape) or swin (Swin shape), num_classes, options.") var config: String
    @Option(help: "Full weights in the official state-dict names (.pth, .safetensors, .npz).") var weights: String
    @Option(help: "Input images, float32 .npy [B, C, H, W].") var input: String
    @Option(help: "Labels, .npy [B].") var labels: String
    @Option(help: "Output folder.") var out: String

    func run() throws {
        common.apply()
        let cfg = try ProbeConfig.load(URL(fileURLWithPath: config))
        let m = try cfg.makeMethod(method)
        let report = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(URL(fileURLWithPath: weights)))
        if !report.unexpected.isEmpty { print("note: unused tensors in the weights: \(report.unexpected.joined(separator: ", "))") }
        let (x, y) = try Probe.readInputs(images: URL(fileURLWithPath: input), labels: URL(fileURLWithPath: labels))
        let r = try Probe.run(m, images: x, labels: y)
        try Probe.write(r, to: URL(fileURLWithPath: out))
        print("loss \(r.loss); logits \(r.logits.shape); \(r.gradients.count) gradients → \(out)")
    }
}
