import ArgumentParser
import Bench
import Foundation

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Recreate the built-in mini ViT (or mini ResNet, or mini AlexNet) from its seed on the built-in source task.",
        discussion: "Examples: bench pretrain --recipe mini --out weights/vit-mini.safetensors\n          bench pretrain --recipe mini-resnet --out weights/resnet-mini.safetensors\n          bench pretrain --recipe mini-alexnet --out weights/alexnet-mini.safetensors")

    @OptionGroup var common: CommonOptions
    @Option(help: "Pretraining recipe: `mini` (the mini ViT), `mini-resnet` or `mini-alexnet` (Sidetune's mini side network).") var recipe = "mini"
    @Option(help: "Output safetensors file (default weights/vit-mini.safetensors, weights/resnet-mini.safetensors or weights/alexnet-mini.safetensors).") var out: String?
    @Option(help: "Override the number of epochs (for a quick look).") var epochs: Int?
    @Option(help: "Override the number of source images.") var images: Int?

    func run() throws {
        common.apply()
        guard Pretrain.recipes.contains(recipe) else {
            throw ValidationError("unknown pretraining recipe '\(recipe)'; known: \(Pretrain.recipes.joined(separator: ", "))")
        }
        var r = recipe == "mini-alexnet" ? PretrainRecipe.miniAlexNet : PretrainRecipe.mini
        if let epochs { r.epochs = epochs }
        if let images { r.images = images }
        let out = self.out ?? ["mini": "weights/vit-mini.safetensors", "mini-resnet": "weights/resnet-mini.safetensors",
                               "mini-alexnet": "weights/alexnet-mini.safetensors"][recipe]!
        let sha: String, acc: Double
        if recipe == "mini" {
            let (vit, a) = try Pretrain.run(r) { print($0) }
            sha = try Pretrain.save(vit, to: URL(fileURLWithPath: out)); acc = a
        } else if recipe == "mini-alexnet" {
            let (net, a) = try Pretrain.runAlexNet(r) { print($0) }
            sha = try Pretrain.save(net, to: URL(fileURLWithPath: out)); acc = a
        } else {
            let (net, a) = try Pretrain.runResNet(r) { print($0) }
            sha = try Pretrain.save(net, to: URL(fileURLWithPath: out)); acc = a
        }
        print(String(format: "wrote %@ (held-out source accuracy %.1f%%)\nSHA-256 %@", out, acc, sha))
    }
}
