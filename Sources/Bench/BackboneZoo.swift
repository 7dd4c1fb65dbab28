// Named backbones: what each id is, which file it loads from, how that file is named inside, and the
// identity checks that catch a wrong file (an IN-1k fine-tuned ViT where IN-21k is expected, MoCo v3's
// linear-probe checkpoint where the pre-trained one is expected, …).
import Backbones
import Checkpoints
import Engine
import Foundation
import Methods

/// What a named backbone is.
public enum BackboneArchitecture: Sendable {
    case vit(ViTConfig)
    /// A torchvision ResNet; `imageSize` is the input size its recipes feed by default.
    case resnet(ResNetConfig, imageSize: Int)
    /// The official Swin Transformer (microsoft/Swin-Transformer names).
    case swin(SwinConfig)

    /// The input size images are prepared at when a recipe does not say otherwise.
    public var imageSize: Int {
        switch self {
        case .vit(let c): return c.imageSize
        case .resnet(_, let s): return s
        case .swin(let c): return c.imageSize
        }
    }
}

/// One named backbone.
public struct BackboneSpec: Sendable {
    public var id: String
    public var architecture: BackboneArchitecture
    /// The file name the official instructions give (looked up in `--weights DIR`).
    public var fileName: String
    /// Where a user gets it.
    public var origin: String
    /// Dicts to descend into and prefixes to strip before loading.
    public var unwrapKeys: [String]
    public var stripPrefixes: [String]
    public var naming: ViTNaming?
    /// SHA-256 of the file when it is fixed (the committed built-in weights).
    public var sha256: String?
    /// Returns a message when the file is recognisably the wrong one.
    public var identity: @Sendable (Checkpoint) -> String?
}

/// Backbones by id.
public enum BackboneZoo {
    /// The built-in mini ViT, pretrained by `bench pretrain --recipe mini` on the built-in source task.
    public static let miniConfig = ViTConfig(imageSize: 32, patchSize: 8, dim: 96, depth: 4, heads: 3, mlpDim: 384, numClasses: 0)
    public static let miniSHA256 = "4ac1ea9414aba51f9865c79ede0b5b7db4f06c7e0f870baf03f2f818f981f44e"
    /// The built-in mini ResNet (ResNet-18 layout at a quarter of its widths, 100-class source head kept: ILM-VP
    /// maps target classes onto the source classes), pretrained by `bench pretrain --recipe mini-resnet`.
    public static let miniResNetConfig = ResNetConfig(block: .basic, layers: [2, 2, 2, 2], widths: [16, 32, 64, 128], numClasses: 100)
    public static let miniResNetSHA256 = "d0677199563a5f12daff5f5c8b441c04ed4fdb0465cd1996d9cbfcfc556fd4ef"

    /// torchvision / WSL ResNets by their download file names (ILM-VP's backbones).
    static func torchvisionResNet(_ id: BackboneID, _ config: ResNetConfig, file: String, origin: String) -> BackboneSpec {
        BackboneSpec(id: id.rawValue, architecture: .resnet(config, imageSize: 224), fileName: file, origin: origin,
                     unwrapKeys: [], stripPrefixes: [], naming: nil, sha256: nil, identity: { _ in nil })
    }

    public static let specs: [String: BackboneSpec] = [
        "vit-mini": BackboneSpec(
            id: "vit-mini", architecture: .vit(miniConfig), fileName: "vit-mini.safetensors",
            origin: "committed in weights/; recreate with `bench pretrain --recipe mini`",
            unwrapKeys: [], stripPrefixes: [], naming: .timm, sha256: miniSHA256, identity: { _ in nil }),
        "resnet-mini": BackboneSpec(
            id: "resnet-mini", architecture: .resnet(miniResNetConfig, imageSize: 32), fileName: "resnet-mini.safetensors",
            origin: "committed in weights/; recreate with `bench pretrain --recipe mini-resnet`",
            unwrapKeys: [], stripPrefixes: [], naming: nil, sha256: miniResNetSHA256, identity: { _ in nil }),
        "swin-b-in22k": BackboneSpec(
            id: "swin-b-in22k", architecture: .swin(.swinBase22k), fileName: "swin_base_patch4_window7_224_22k.pth",
            origin: "microsoft/Swin-Transformer swin_base_patch4_window7_224_22k.pth (weights under `model`)",
            unwrapKeys: [], stripPrefixes: [], naming: nil, sha256: nil, identity: { _ in nil }),
        "resnet18-in1k": torchvisionResNet(.resnet18In1k, .resnet18, file: "resnet18-f37072fd.pth",
                                           origin: "torchvision ResNet18_Weights.IMAGENET1K_V1 (download.pytorch.org/models/resnet18-f37072fd.pth)"),
        "resnet50-in1k": torchvisionResNet(.resnet50In1k, .resnet50, file: "resnet50-11ad3fa6.pth",
                                           origin: "torchvision ResNet50_Weights.IMAGENET1K_V2 (download.pytorch.org/models/resnet50-11ad3fa6.pth)"),
        "resnext101-32x8d-ig": torchvisionResNet(.resnext101_32x8dIG, .resnext101_32x8d, file: "ig_resnext101_32x8-c38310e5.pth",
                                                 origin: "facebookresearch/WSL-Images resnext101_32x8d_wsl (torch.hub cache file ig_resnext101_32x8-c38310e5.pth)"),
        "vit-b16-in21k": BackboneSpec(
            id: "vit-b16-in21k", architecture: .vit(.vitB16()), fileName: "imagenet21k_ViT-B_16.npz",
            origin: "Google's vit_models/imagenet21k/ViT-B_16.npz, renamed as KMnP/vpt README says",
            unwrapKeys: [], stripPrefixes: [], naming: nil, sha256: nil,
            identity: { ck in
                if let h = ck.tensors["head/kernel"], h.shape.last == 1000 {
                    return "its head has 1000 classes: this is an ImageNet-1k fine-tuned ViT (e.g. ViT-B_16-224.npz); vit-b16-in21k expects imagenet21k/ViT-B_16.npz (21843-class head)"
                }
                if let h = ck.tensors["head.weight"], h.shape.first == 1000 {
                    return "its head has 1000 classes: an ImageNet-1k fine-tuned ViT; vit-b16-in21k expects the IN-21k pre-trained weights"
                }
                return nil
            }),
        "vit-b16-mae": BackboneSpec(
            id: "vit-b16-mae", architecture: .vit(.vitB16()), fileName: "mae_pretrain_vit_base.pth",
            origin: "facebookresearch/mae mae_pretrain_vit_base.pth (key `model`)",
            unwrapKeys: ["model"], stripPrefixes: [], naming: .timm, sha256: nil,
            identity: { ck in
                if ck.names.contains(where: { $0.hasSuffix("head.weight") }) {
                    return "it has a classifier head: a fine-tuned MAE checkpoint; vit-b16-mae expects the pre-trained mae_pretrain_vit_base.pth"
                }
                return nil
            }),
        "vit-b16-mocov3": BackboneSpec(
            id: "vit-b16-mocov3", architecture: .vit(.vitB16()), fileName: "vit-b-300ep.pth.tar",
            origin: "facebookresearch/moco-v3 vit-b-300ep.pth.tar (key `state_dict`, encoder under `module.base_encoder.`)",
            unwrapKeys: ["state_dict"], stripPrefixes: ["module.base_encoder."], naming: .timm, sha256: nil,
            identity: { ck in
                let n = ck.names
                if !n.contains(where: { $0.contains("base_encoder") }) && n.contains(where: { $0.hasSuffix("head.weight") }) {
                    return "it is MoCo v3's linear-probe checkpoint (linear-vit-b-300ep.pth.tar: a trained 1000-class head, no base_encoder); vit-b16-mocov3 expects the pre-trained vit-b-300ep.pth.tar"
                }
                return nil
            }),
    ]

    /// Finds the spec or throws naming the known ids.
    public static func spec(_ id: String) throws -> BackboneSpec {
        guard let s = specs[id] else {
            throw BackboneError(file: id, "unknown backbone id; known: \(specs.keys.sorted().joined(separator: ", "))")
        }
        return s
    }

    /// Default folder holding weight files: $VPT_WEIGHTS, else ./weights, else $VPT_ROOT/weights, else the
    /// weights/ of the repository the running `bench` was built in.
    public static func defaultWeightsDirectory() -> URL {
        let env = ProcessInfo.processInfo.environment
        if let w = env["VPT_WEIGHTS"] { return URL(fileURLWithPath: w) }
        let fm = FileManager.default
        let local = URL(fileURLWithPath: "weights")
        if fm.fileExists(atPath: local.path) { return local }
        if let r = env["VPT_ROOT"], fm.fileExists(atPath: r + "/weights") { return URL(fileURLWithPath: r).appendingPathComponent("weights") }
        if let repo = CellCatalog.builtInRepository(), fm.fileExists(atPath: repo.appendingPathComponent("weights").path) {
            return repo.appendingPathComponent("weights")
        }
        return local
    }

    /// Loads ViT backbone `id` (see `loadModel`); throws when `id` is not a ViT.
    public static func load(_ id: String, weights: URL? = nil, checkHash: Bool = true) throws -> ViT {
        guard let vit = try loadModel(id, weights: weights, checkHash: checkHash).vit else {
            throw BackboneError(file: id, "is not a ViT backbone; this command needs a ViT (\(specs.filter { if case .vit = $0.value.architecture { return true }; return false }.keys.sorted().joined(separator: ", ")))")
        }
        return vit
    }

    /// Loads backbone `id` from `weights` (a folder or the file itself), checking identity and hash.
    public static func loadModel(_ id: String, weights: URL? = nil, checkHash: Bool = true) throws -> BackboneModel {
        let spec = try spec(id)
        var url = weights ?? defaultWeightsDirectory()
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            url = url.appendingPathComponent(spec.fileName)
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw BackboneError(file: url.path, "not found; \(id) loads \(spec.fileName) (\(spec.origin)); pass --weights DIR")
        }
        if checkHash, let expected = spec.sha256, expected != "PENDING" {
            let got = try SHA256.hex(file: url)
            guard got == expected else {
                throw BackboneError(file: url.path, "SHA-256 \(got) differs from the recorded \(expected) for \(id); recreate it with `bench pretrain --recipe \(id == "resnet-mini" ? "mini-resnet" : "mini")` or restore the committed file")
            }
        }
        let ck = try loadCheckpoint(url)
        switch spec.architecture {
        case .resnet(let config, _):
            // Named torchvision/WSL files are checked tensor by tensor first (a ResNet-18 passed for ResNet-50 …).
            if let known = BackboneID(rawValue: id) { return .resnet(try ResNet.pretrained(known, from: ck)) }
            let model = ResNet(config)
            try model.load(from: ck)
            return .resnet(model)
        case .swin:
            return .swin(try Swin.pretrained(.swinBIn22k, from: ck))
        case .vit(let config):
            return .vit(try loadViT(spec, config, ck, url: url))
        }
    }

    static func loadViT(_ spec: BackboneSpec, _ config: ViTConfig, _ checkpoint: Checkpoint, url: URL) throws -> ViT {
        var ck = checkpoint
        if !spec.unwrapKeys.isEmpty { ck = ck.unwrapped(keys: spec.unwrapKeys) }
        if let problem = spec.identity(ck) { throw BackboneError(file: url.path, problem) }
        if !spec.stripPrefixes.isEmpty { ck = try ck.strippingPrefixes(spec.stripPrefixes) }
        guard let naming = spec.naming ?? ViTNaming.detect(ck.names) else {
            throw BackboneError(file: url.path, "no ViT weights recognised (\(ck.names.count) tensors, e.g. \(ck.names.prefix(3).joined(separator: ", "))); \(spec.id) expects \(spec.fileName)")
        }
        let vit = ViT(config)
        try vit.load(StateDict(ck), naming: naming)
        return vit
    }
}
