import ArgumentParser
import Bench
import Foundation

struct RecipeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipe", abstract: "Work with recipes.", subcommands: [RecipeImportCommand.self])
}

/// `bench recipe import --method M FILE [ARGS…]`: an official configuration, read as the official code reads it,
/// written as a recipe whose every value names where it came from.
struct RecipeImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn an official configuration (and its command-line arguments) into a recipe.",
        discussion: """
        vpt-deep / vpt-shallow (KMnP/vpt yacs):  bench recipe import --method vpt-deep configs/prompt/cub.yaml MODEL.PROMPT.NUM_TOKENS 10 SOLVER.BASE_LR 0.25
        da-vpt-plus (DA-VPT key: value config):   bench recipe import --method da-vpt-plus configs/fgvc/vitb_cub200.yaml
        insvp (argparse; sh/*.sh or main.py):    bench recipe import --method insvp sh/cifar10.sh --lr=0.001
        linear/full on ResNets (ILM-VP argparse): bench recipe import --method linear --repo OPTML-Group/ILM-VP experiments/cnn/linear_probing.py --network resnet18 --dataset dtd
        adaptformer, lora, bias (V-PETL Bench):   bench recipe import --method lora ImageClassification/scripts/run_vit_lora.sh dataset=cifar100
        fact, repadapter, hydra (.py + the per-task yaml it loads): bench recipe import --method repadapter train.py --dataset cifar --method repblock --dim 8 --scale 0
        Every official key is mapped, listed as having no effect on results (with the reason), or rejected by name.
        """)

    @Option(help: "Method id (see `bench recipe import --help` for those with an importer).") var method: String
    @Option(help: "Write the recipe here instead of stdout (atomically).") var out: String?
    @Option(help: "The file's path inside the official repository, for the citations (default: FILE as given).") var path: String?
    @Option(help: "The official repository (owner/name) when the method has several (bias: KMnP/vpt or synbol/Parameter-Efficient-Transfer-Learning-Benchmark); default: the one whose format fits FILE.")
    var repo: String?
    @Argument(help: "The official config file, sh/*.sh script or .py entry point.") var file: String
    @Argument(parsing: .captureForPassthrough, help: "Command-line arguments the official command adds (yacs KEY VALUE pairs, argparse --flags).")
    var args: [String] = []

    func run() throws {
        let pin: OfficialImporter.Pin
        do { pin = try OfficialImporter.pin(method, repo: repo, file: file) } catch { throw ValidationError("\(error)") }
        // A flag the official parser itself has (RepAdapter's and Hydra's --method) is the official one.
        let official = OfficialImporter.officialFlags(method, format: pin.format)
        for a in args where ["--out", "--path", "--method", "--repo"].filter({ !official.contains(String($0.dropFirst(2))) })
            .contains(a.split(separator: "=").first.map(String.init) ?? a) {
            throw ValidationError("'\(a)' comes after FILE, so it is read as an official argument; put bench's options before FILE")
        }
        let display = path ?? file
        let result = try OfficialImporter.run(method: method, file: URL(fileURLWithPath: file), displayPath: display, args: args, repo: pin.repo)
        let text = result.yaml(source: OfficialSource(repo: pin.repo, commit: pin.commit, format: pin.format,
                                                       file: display, args: args.isEmpty ? nil : args))
        if let out {
            let url = URL(fileURLWithPath: out)
            try text.write(to: url, atomically: true, encoding: .utf8)
            FileHandle.standardError.write(Data("wrote \(out): \(result.values.count) values, \(result.noEffect.count) keys with no effect on results\n".utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
