// Translating ViT weights between the suite's timm layout and the namings official codes use:
//   timm         `blocks.{i}.attn.qkv.weight` [3D, D] (fused q|k|v rows), Linear weights [out, in]
//   googleNPZ    `Transformer/encoderblock_{i}/MultiHeadDotProductAttention_1/query/kernel` [D, H, d] (JAX,
//                 kernels [in, out], conv HWIO, LayerNorm `scale`) — Google's imagenet21k/ViT-B_16.npz
//   jeonsworld   `transformer.encoder.layer.{i}.attn.query.weight` [D, D] (separate q/k/v, torch layout) —
//                 what KMnP/vpt and E2VPT build internally (`src/models/vit_backbones/vit.py`)
// The conversions are those of KMnP/vpt `vit.py` `load_from` (q/k/v/out `view(D, D).t()`, MLP `.t()`,
// conv `transpose(3, 2, 0, 1)`).
import Checkpoints
import Engine
import Foundation

/// A naming scheme for ViT weights.
public enum ViTNaming: String, Codable, Sendable, CaseIterable {
    case timm, googleNPZ = "google-npz", jeonsworld

    /// Guesses the scheme from the tensor names present.
    public static func detect(_ names: [String]) -> ViTNaming? {
        if names.contains(where: { $0.hasPrefix("Transformer/encoderblock_") }) { return .googleNPZ }
        if names.contains(where: { $0.contains("transformer.encoder.layer.") }) { return .jeonsworld }
        if names.contains(where: { $0.hasPrefix("blocks.") && $0.contains(".attn.qkv.") }) { return .timm }
        return nil
    }
}

/// One source tensor and how to turn it into (part of) a model parameter.
struct SourceTensor {
    enum Transform { case none, transpose2D, jaxHeadsIn, jaxHeadsOut, hwioToOIHW }
    var name: String
    var transform: Transform
}

extension ViT {
    /// Source tensors (concatenated along the first axis when several) for each model parameter.
    func sources(_ naming: ViTNaming) -> [(Parameter, [SourceTensor])] {
        var out: [(Parameter, [SourceTensor])] = []
        func add(_ p: Parameter?, _ s: SourceTensor...) { if let p { out.append((p, s)) } }
        switch naming {
        case .timm:
            for p in parameters { out.append((p, [SourceTensor(name: p.name, transform: .none)])) }
        case .googleNPZ:
            add(patchEmbed.weight, .init(name: "embedding/kernel", transform: .hwioToOIHW))
            add(patchEmbed.bias, .init(name: "embedding/bias", transform: .none))
            add(clsToken, .init(name: "cls", transform: .none))
            add(posEmbed, .init(name: "Transformer/posembed_input/pos_embedding", transform: .none))
            for b in blocks {
                let p = "Transformer/encoderblock_\(b.index)/"
                let a = p + "MultiHeadDotProductAttention_1/"
                add(b.norm1.weight, .init(name: p + "LayerNorm_0/scale", transform: .none))
                add(b.norm1.bias, .init(name: p + "LayerNorm_0/bias", transform: .none))
                add(b.qkv.weight, .init(name: a + "query/kernel", transform: .jaxHeadsOut),
                    .init(name: a + "key/kernel", transform: .jaxHeadsOut), .init(name: a + "value/kernel", transform: .jaxHeadsOut))
                add(b.qkv.bias, .init(name: a + "query/bias", transform: .none), .init(name: a + "key/bias", transform: .none),
                    .init(name: a + "value/bias", transform: .none))
                add(b.proj.weight, .init(name: a + "out/kernel", transform: .jaxHeadsIn))
                add(b.proj.bias, .init(name: a + "out/bias", transform: .none))
                add(b.norm2.weight, .init(name: p + "LayerNorm_2/scale", transform: .none))
                add(b.norm2.bias, .init(name: p + "LayerNorm_2/bias", transform: .none))
                add(b.fc1.weight, .init(name: p + "MlpBlock_3/Dense_0/kernel", transform: .transpose2D))
                add(b.fc1.bias, .init(name: p + "MlpBlock_3/Dense_0/bias", transform: .none))
                add(b.fc2.weight, .init(name: p + "MlpBlock_3/Dense_1/kernel", transform: .transpose2D))
                add(b.fc2.bias, .init(name: p + "MlpBlock_3/Dense_1/bias", transform: .none))
            }
            add(norm.weight, .init(name: "Transformer/encoder_norm/scale", transform: .none))
            add(norm.bias, .init(name: "Transformer/encoder_norm/bias", transform: .none))
            add(preLogits?.weight, .init(name: "pre_logits/kernel", transform: .transpose2D))
            add(preLogits?.bias, .init(name: "pre_logits/bias", transform: .none))
            add(head?.weight, .init(name: "head/kernel", transform: .transpose2D))
            add(head?.bias, .init(name: "head/bias", transform: .none))
        case .jeonsworld:
            let e = "transformer.embeddings.", enc = "transformer.encoder."
            add(patchEmbed.weight, .init(name: e + "patch_embeddings.weight", transform: .none))
            add(patchEmbed.bias, .init(name: e + "patch_embeddings.bias", transform: .none))
            add(clsToken, .init(name: e + "cls_token", transform: .none))
            add(posEmbed, .init(name: e + "position_embeddings", transform: .none))
            for b in blocks {
                let p = enc + "layer.\(b.index)."
                add(b.norm1.weight, .init(name: p + "attention_norm.weight", transform: .none))
                add(b.norm1.bias, .init(name: p + "attention_norm.bias", transform: .none))
                add(b.qkv.weight, .init(name: p + "attn.query.weight", transform: .none), .init(name: p + "attn.key.weight", transform: .none),
                    .init(name: p + "attn.value.weight", transform: .none))
                add(b.qkv.bias, .init(name: p + "attn.query.bias", transform: .none), .init(name: p + "attn.key.bias", transform: .none),
                    .init(name: p + "attn.value.bias", transform: .none))
                add(b.proj.weight, .init(name: p + "attn.out.weight", transform: .none))
                add(b.proj.bias, .init(name: p + "attn.out.bias", transform: .none))
                add(b.norm2.weight, .init(name: p + "ffn_norm.weight", transform: .none))
                add(b.norm2.bias, .init(name: p + "ffn_norm.bias", transform: .none))
                add(b.fc1.weight, .init(name: p + "ffn.fc1.weight", transform: .none))
                add(b.fc1.bias, .init(name: p + "ffn.fc1.bias", transform: .none))
                add(b.fc2.weight, .init(name: p + "ffn.fc2.weight", transform: .none))
                add(b.fc2.bias, .init(name: p + "ffn.fc2.bias", transform: .none))
            }
            add(norm.weight, .init(name: enc + "encoder_norm.weight", transform: .none))
            add(norm.bias, .init(name: enc + "encoder_norm.bias", transform: .none))
            add(head?.weight, .init(name: "head.weight", transform: .none))
            add(head?.bias, .init(name: "head.bias", transform: .none))
        }
        return out
    }

    /// Loads every parameter from `dict` in `naming` (names under `prefix`). Missing tensors throw, except
    /// the head and pre-logits layer, which are reported missing (and keep their initialisation) so a
    /// backbone-only file can be used with a new head. Position embeddings are resampled if the grid differs.
    @discardableResult
    public func load(_ dict: StateDict, naming: ViTNaming, prefix: String = "") throws -> LoadReport {
        var report = LoadReport()
        let optional = Set([head?.weight.name, head?.bias?.name, preLogits?.weight.name, preLogits?.bias?.name].compactMap { $0 })
        for (param, srcs) in sources(naming) {
            let names = srcs.map { prefix + $0.name }
            if !names.allSatisfy(dict.contains) {
                if optional.contains(param.name) { report.missing.append(param.name); continue }
                let absent = names.filter { !dict.contains($0) }
                throw BackboneError(file: dict.file, "ViT (\(naming.rawValue) naming) needs '\(absent[0])', which the file does not have")
            }
            var values: [Float] = []
            var rowsTotal = 0
            for (s, n) in zip(srcs, names) {
                let (shape, v) = try dict.raw(n)
                let (converted, outShape) = try convert(v, shape, s.transform, file: dict.file, name: n)
                values += converted
                rowsTotal += outShape.first ?? 1
            }
            if param.name == posEmbed.name && values.count != param.count {
                values = try resamplePositionEmbedding(values, file: dict.file)
            }
            guard values.count == param.count else {
                throw BackboneError(file: dict.file, "'\(names[0])' gives \(values.count) values for \(param.name) \(param.shape)")
            }
            values.withUnsafeBufferPointer { param.value.data.update(from: $0.baseAddress!, count: values.count) }
            report.loaded.append(param.name)
        }
        return report
    }

    private func convert(_ v: [Float], _ shape: [Int], _ t: SourceTensor.Transform, file: String, name: String) throws -> ([Float], [Int]) {
        func bad() -> BackboneError { BackboneError(file: file, "tensor '\(name)' has unexpected shape \(shape)") }
        switch t {
        case .none:
            return (v, shape)
        case .transpose2D:
            guard shape.count == 2 else { throw bad() }
            return (Self.permute(v, shape, [1, 0]), [shape[1], shape[0]])
        case .jaxHeadsOut:  // [D, H, d] → view(D, D).t()
            guard shape.count == 3 else { throw bad() }
            return (Self.permute(v, [shape[0], shape[1] * shape[2]], [1, 0]), [shape[1] * shape[2], shape[0]])
        case .jaxHeadsIn:  // [H, d, D] → view(D, D).t()
            guard shape.count == 3 else { throw bad() }
            return (Self.permute(v, [shape[0] * shape[1], shape[2]], [1, 0]), [shape[2], shape[0] * shape[1]])
        case .hwioToOIHW:
            guard shape.count == 4 else { throw bad() }
            return (Self.permute(v, shape, [3, 2, 0, 1]), [shape[3], shape[2], shape[0], shape[1]])
        }
    }

    static func permute(_ v: [Float], _ shape: [Int], _ perm: [Int]) -> [Float] {
        withoutGrad { Tensor(v, shape: shape).permuted(perm).scalars }
    }

    /// Resamples [1, 1 + g·g, D] position embeddings to this model's grid with linear interpolation
    /// in scipy `ndimage.zoom(order=1)` coordinates (out i ↦ in i·(gin−1)/(gout−1)), as KMnP/vpt does.
    // NOTE: timm resamples with bicubic F.interpolate instead; the papers' 224-px runs never resample.
    func resamplePositionEmbedding(_ v: [Float], file: String) throws -> [Float] {
        let d = config.dim
        let nIn = v.count / d - 1
        let gIn = Int(Double(nIn).squareRoot().rounded()), gOut = config.gridSize
        guard gIn * gIn == nIn, nIn >= 1 else {
            throw BackboneError(file: file, "position embedding with \(nIn) patch positions is not a square grid")
        }
        var out = Array(v[0..<d])  // CLS position is kept
        func coord(_ i: Int) -> Double { gOut == 1 ? 0 : Double(i) * Double(gIn - 1) / Double(gOut - 1) }
        for oy in 0..<gOut {
            let fy = coord(oy), y0 = Int(fy), y1 = min(y0 + 1, gIn - 1), wy = fy - Double(y0)
            for ox in 0..<gOut {
                let fx = coord(ox), x0 = Int(fx), x1 = min(x0 + 1, gIn - 1), wx = fx - Double(x0)
                for c in 0..<d {
                    func at(_ y: Int, _ x: Int) -> Double { Double(v[d + (y * gIn + x) * d + c]) }
                    let top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
                    let bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
                    out.append(Float(top * (1 - wy) + bottom * wy))
                }
            }
        }
        return out
    }

    /// The model's weights in `naming`, as checkpoint tensors (for export and for tests).
    /// `values` picks what to export per parameter (default: its value; e.g. `{ $0.grad?.scalars }` for
    /// gradients); parameters it returns nil for are skipped.
    public func exportTensors(_ naming: ViTNaming, prefix: String = "", values: (Parameter) -> [Float]? = { $0.value.scalars }) -> [StoredTensor] {
        var out: [StoredTensor] = []
        for (param, srcs) in sources(naming) {
            guard let v = values(param) else { continue }
            let pieces = srcs.count
            let rowsPer = param.shape[0] / pieces
            let inner = param.count / param.shape[0]
            for (k, s) in srcs.enumerated() {
                let part = Array(v[(k * rowsPer * inner)..<((k + 1) * rowsPer * inner)])
                var shape = param.shape; shape[0] = rowsPer
                let h = config.heads, dh = config.headDim
                let (vals, outShape): ([Float], [Int])
                switch s.transform {
                case .none:
                    // Google biases of q/k/v are [H, d]; others keep the model's shape.
                    if naming == .googleNPZ && s.name.hasSuffix("/bias") && s.name.contains("MultiHeadDotProductAttention_1/") && !s.name.contains("/out/") {
                        (vals, outShape) = (part, [h, dh])
                    } else { (vals, outShape) = (part, shape) }
                case .transpose2D: (vals, outShape) = (Self.permute(part, shape, [1, 0]), [shape[1], shape[0]])
                case .jaxHeadsOut: (vals, outShape) = (Self.permute(part, shape, [1, 0]), [shape[1], h, dh])
                case .jaxHeadsIn: (vals, outShape) = (Self.permute(part, shape, [1, 0]), [h, dh, shape[0]])
                case .hwioToOIHW: (vals, outShape) = (Self.permute(part, shape, [2, 3, 1, 0]), [shape[2], shape[3], shape[1], shape[0]])
                }
                out.append(StoredTensor(name: prefix + s.name, shape: outShape, floats: vals))
            }
        }
        return out
    }
}

extension ViT {
    /// For each parameter (by suite name), the name(s) of the tensor(s) it stands for in `naming`.
    public func officialNames(_ naming: ViTNaming, prefix: String = "") -> [String: [String]] {
        Dictionary(sources(naming).map { ($0.0.name, $0.1.map { prefix + $0.name }) }, uniquingKeysWith: { a, _ in a })
    }
}
