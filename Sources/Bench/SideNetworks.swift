// The pretrained side networks Sidetune loads beside its ViT (Methods/Sidetune.swift), from the same weights folder:
// `alexnet-in1k` is the file `torchvision.models.alexnet(pretrained=True)` downloads (KMnP/vpt vit_models.py:56), checked
// tensor by tensor (BackboneID.alexnetIn1k) and by hash (torchvision names its files <name>-<first 8 hex digits of the
// SHA-256>.pth and torch.hub checks that prefix); `alexnet-mini` is the mini benchmark's, committed in weights/.
import Backbones
import Checkpoints
import Foundation
import Methods

public enum SideNetworks {
    public struct Spec: Sendable {
        public var fileName: String
        public var origin: String
        /// The whole SHA-256 (committed files) or its prefix (torchvision's file-name hash).
        public var sha256: String
        /// The file's identity check, for named torchvision files.
        public var backboneID: BackboneID?
    }

    public static let miniSHA256 = "25b0d424de792b34346bfc6839bae02ed437355b100c6d7df0d6be43defa58b8"

    public static let specs: [String: Spec] = [
        "alexnet-in1k": Spec(fileName: "alexnet-owt-7be5be79.pth",
                             origin: "torchvision AlexNet_Weights.IMAGENET1K_V1, download.pytorch.org/models/alexnet-owt-7be5be79.pth (what `models.alexnet(pretrained=True)` puts in ~/.cache/torch/hub/checkpoints)",
                             sha256: "7be5be79", backboneID: .alexnetIn1k),
        "alexnet-mini": Spec(fileName: "alexnet-mini.safetensors",
                             origin: "committed in weights/; recreate with `bench pretrain --recipe mini-alexnet`",
                             sha256: miniSHA256, backboneID: nil),
    ]

    /// The side network's file: in `weights` when it is a folder, else beside the backbone file it names, else in the
    /// default weights folder.
    public static func file(_ id: String, weights: URL?) throws -> URL {
        guard let spec = specs[id] else { throw BackboneError(file: id, "unknown side network; known: \(specs.keys.sorted().joined(separator: ", "))") }
        var dir = weights ?? BackboneZoo.defaultWeightsDirectory()
        var isDir: ObjCBool = false
        if !(FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir) && isDir.boolValue) { dir = dir.deletingLastPathComponent() }
        let url = dir.appendingPathComponent(spec.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw BackboneError(file: url.path, "not found; sidetune's side network \(id) loads \(spec.fileName) (\(spec.origin)); put it in the --weights folder")
        }
        return url
    }

    /// Loads the pretrained side network of `method` (identity and hash checked).
    public static func load(into method: Sidetune, weights: URL?, checkHash: Bool) throws {
        let id = method.sideNetworkID
        let url = try file(id, weights: weights)
        let spec = specs[id]!
        if checkHash, spec.sha256 != "PENDING" {
            let got = try SHA256.hex(file: url)
            guard got.hasPrefix(spec.sha256) else {
                throw BackboneError(file: url.path, "SHA-256 \(got) does not match the recorded \(spec.sha256) for side network \(id) (\(spec.origin))")
            }
        }
        let ck = try loadCheckpoint(url)
        if let bid = spec.backboneID {
            try method.side.loadPretrained(bid, from: ck)
        } else {
            let report = try method.side.load(StateDict(ck))
            guard report.unexpected.isEmpty else {
                throw BackboneError(file: url.path, "unexpected tensors for side network \(id): \(report.unexpected.prefix(5).joined(separator: ", "))")
            }
        }
    }
}
