import ArgumentParser
import Bench
import Foundation

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Recreate the built-in mini ViT from its seed on the built-in source task.",
        discussion: "Example: bench pretrain --recipe mini --out weights/vit-mini.safetensors")

    @OptionGroup var common: CommonOptions
    @Option(help: "Pretraining recipe (only `mini`).") var recipe = "mini"
    @Option(help: "Output safetensors file.") var out = "weights/vit-mini.safetensors"
    @Option(help: "Override the number of epochs (for a quick look).") var epochs: Int?
    @Option(help: "Override the number of source images.") var images: Int?

    func run() throws {
        common.apply()
        guard recipe == "mini" else { throw ValidationError("unknown pretraining recipe '\(recipe)'; known: mini") }
        var r = PretrainRecipe.mini
        if let epochs { r.epochs = epochs }
        if let images { r.images = images }
        let (vit, acc) = try Pretrain.run(r) { print($0) }
        let sha = try Pretrain.save(vit, to: URL(fileURLWithPath: out))
        print(String(format: "wrote %@ (held-out source accuracy %.1f%%)\nSHA-256 %@", out, acc, sha))
    }
}
