// Swin Transformer (Liu et al., ICCV 2021), named as the official microsoft/Swin-Transformer
// checkpoints (`swin_base_patch4_window7_224_22k.pth`, weights under `model`); timm's later layout is
// read too (see `fileName(in:)`).
// Shapes: x [B, 3, H, W] → tokens [B, L, C] (L = (H/4)·(W/4)) → stage i at resolution R_i = H/4/2^i with
// C_i = C·2^i → final norm → mean over tokens [B, C_last] → head [B, K].
// Windows: N = w·w tokens per window, nW windows per image, `heads` attention heads of size d = C_i/heads.
import Checkpoints
import Engine
import Foundation

/// Architecture hyper-parameters of a Swin Transformer (v1).
public struct SwinConfig: Codable, Equatable, Sendable {
    public var imageSize: Int
    public var patchSize: Int = 4
    public var embedDim: Int
    public var depths: [Int]
    public var numHeads: [Int]
    public var windowSize: Int
    public var mlpRatio: Int = 4
    public var numClasses: Int

    enum CodingKeys: String, CodingKey { case imageSize, patchSize, embedDim, depths, numHeads, windowSize, mlpRatio, numClasses }

    /// Decodes a shape as config files write it: `patchSize` and `mlpRatio` default to 4, `numClasses` to 0 (headless,
    /// the official SA²VP's `num_classes=-1`); inconsistent stage lists are an error, not a crash.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let depths = try c.decode([Int].self, forKey: .depths), heads = try c.decode([Int].self, forKey: .numHeads)
        guard depths.count == heads.count else {
            throw DecodingError.dataCorruptedError(forKey: .numHeads, in: c, debugDescription: "\(depths.count) stages in depths but \(heads.count) head counts")
        }
        self.init(imageSize: try c.decode(Int.self, forKey: .imageSize), patchSize: try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 4,
                  embedDim: try c.decode(Int.self, forKey: .embedDim), depths: depths, numHeads: heads,
                  windowSize: try c.decode(Int.self, forKey: .windowSize), mlpRatio: try c.decodeIfPresent(Int.self, forKey: .mlpRatio) ?? 4,
                  numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? 0)
    }

    public init(imageSize: Int, patchSize: Int = 4, embedDim: Int, depths: [Int], numHeads: [Int], windowSize: Int,
                mlpRatio: Int = 4, numClasses: Int) {
        precondition(depths.count == numHeads.count, "SwinConfig: \(depths.count) stages but \(numHeads.count) head counts")
        self.imageSize = imageSize; self.patchSize = patchSize; self.embedDim = embedDim; self.depths = depths
        self.numHeads = numHeads; self.windowSize = windowSize; self.mlpRatio = mlpRatio; self.numClasses = numClasses
    }

    /// Swin-B, window 7, 224², ImageNet-22k head (21,841 classes) as in the official 22k release.
    public static let swinBase22k = SwinConfig(imageSize: 224, embedDim: 128, depths: [2, 2, 18, 2],
                                               numHeads: [4, 8, 16, 32], windowSize: 7, numClasses: 21841)

    public var stageCount: Int { depths.count }
    public func dim(_ stage: Int) -> Int { embedDim << stage }
    public var featureDim: Int { dim(stageCount - 1) }
    /// Token-grid side length of a stage.
    public func resolution(_ stage: Int) -> Int { (imageSize / patchSize) >> stage }
    /// Effective window and shift of a block. As the official code: when the stage resolution is not larger
    /// than the window, the window shrinks to the resolution and shifting is switched off.
    public func window(stage: Int, block: Int) -> (size: Int, shift: Int) {
        let r = resolution(stage)
        if r <= windowSize { return (r, 0) }
        return (windowSize, block % 2 == 1 ? windowSize / 2 : 0)
    }

    /// The official state dict (names, shapes, kinds) in file order, computed without allocating weights.
    /// `relative_position_index` (every block) and `attn_mask` (shifted blocks) are stored buffers the
    /// model recomputes.
    public func stateDictSpec() -> [TensorSpec] {
        var s = [TensorSpec("patch_embed.proj.weight", [embedDim, 3, patchSize, patchSize]),
                 TensorSpec("patch_embed.proj.bias", [embedDim]),
                 TensorSpec("patch_embed.norm.weight", [embedDim]), TensorSpec("patch_embed.norm.bias", [embedDim])]
        for i in 0..<stageCount {
            let c = dim(i), h = numHeads[i]
            for j in 0..<depths[i] {
                let p = "layers.\(i).blocks.\(j)."
                let (w, shift) = window(stage: i, block: j)
                let n = w * w
                if shift > 0 {
                    let nW = (resolution(i) / w) * (resolution(i) / w)
                    s.append(TensorSpec(p + "attn_mask", [nW, n, n], .recomputed))
                }
                s += [TensorSpec(p + "norm1.weight", [c]), TensorSpec(p + "norm1.bias", [c]),
                      TensorSpec(p + "attn.relative_position_bias_table", [(2 * w - 1) * (2 * w - 1), h]),
                      TensorSpec(p + "attn.relative_position_index", [n, n], .recomputed),
                      TensorSpec(p + "attn.qkv.weight", [3 * c, c]), TensorSpec(p + "attn.qkv.bias", [3 * c]),
                      TensorSpec(p + "attn.proj.weight", [c, c]), TensorSpec(p + "attn.proj.bias", [c]),
                      TensorSpec(p + "norm2.weight", [c]), TensorSpec(p + "norm2.bias", [c]),
                      TensorSpec(p + "mlp.fc1.weight", [mlpRatio * c, c]), TensorSpec(p + "mlp.fc1.bias", [mlpRatio * c]),
                      TensorSpec(p + "mlp.fc2.weight", [c, mlpRatio * c]), TensorSpec(p + "mlp.fc2.bias", [c])]
            }
            if i < stageCount - 1 {
                // The official PatchMerging defines `reduction` before `norm`.
                let p = "layers.\(i).downsample."
                s += [TensorSpec(p + "reduction.weight", [2 * c, 4 * c]),
                      TensorSpec(p + "norm.weight", [4 * c]), TensorSpec(p + "norm.bias", [4 * c])]
            }
        }
        s += [TensorSpec("norm.weight", [featureDim]), TensorSpec("norm.bias", [featureDim]),
              TensorSpec("head.weight", [numClasses, featureDim]), TensorSpec("head.bias", [numClasses])]
        return s
    }

    public var parameterCount: Int { stateDictSpec().parameterCount }

    /// Maps an official name to the name `checkpoint` uses. timm ≥ 0.9 stores PatchMerging at the START of
    /// the next stage (`layers.{i+1}.downsample`) and the head as `head.fc`; it is detected by a downsample
    /// in the last stage or a `head.fc.weight`, which the official layout never has.
    public func fileName(in checkpoint: Checkpoint) -> (String) -> String {
        let timm = checkpoint.tensors["head.fc.weight"] != nil
            || checkpoint.tensors["layers.\(stageCount - 1).downsample.reduction.weight"] != nil
        guard timm else { return { $0 } }
        return { name in
            if name.hasPrefix("head.") { return "head.fc." + name.dropFirst("head.".count) }
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count > 2, parts[0] == "layers", parts[2] == "downsample", let i = Int(parts[1]) {
                return (["layers", "\(i + 1)"] + parts[2...].map(String.init)).joined(separator: ".")
            }
            return name
        }
    }
}

/// A Linear with placeholder (zero) values, filled by `load(from:)`. LayerNorms start as identity.
private func layerNorm(_ name: String, _ c: Int) -> LayerNorm { LayerNorm(name, c) }
private func linear(_ name: String, _ inF: Int, _ outF: Int, bias: Bool = true) -> Linear {
    Linear(weight: Parameter(name + ".weight", Tensor(zeros: [outF, inF])),
           bias: bias ? Parameter(name + ".bias", Tensor(zeros: [outF])) : nil)
}

/// torch.roll along one axis: out[i] = x[(i − shift) mod n], as two slices and a concat.
func roll(_ x: Tensor, _ shift: Int, axis: Int) -> Tensor {
    let n = x.shape[axis], k = ((shift % n) + n) % n
    if k == 0 { return x }
    return Tensor.concat([x.slice(axis: axis, n - k, n), x.slice(axis: axis, 0, n - k)], axis: axis)
}

/// One Swin block: (shifted) window attention with relative position bias, then the MLP; pre-norm residuals.
final class SwinBlock {
    let dim: Int, heads: Int, resolution: Int, window: Int, shift: Int
    let norm1: LayerNorm, norm2: LayerNorm
    /// `attn.relative_position_bias_table` [(2w−1)², heads].
    let biasTable: Parameter
    let qkv: Linear, proj: Linear, fc1: Linear, fc2: Linear
    /// `relative_position_index` [N, N] (computed, not loaded).
    let relativeIndex: [Int]
    /// `attn_mask` [nW, N, N]: −100 between tokens that came from different regions before the cyclic
    /// shift, 0 elsewhere; nil for unshifted blocks.
    let shiftMask: [Float]?

    init(_ prefix: String, config: SwinConfig, stage: Int, block: Int) {
        dim = config.dim(stage); heads = config.numHeads[stage]; resolution = config.resolution(stage)
        (window, shift) = config.window(stage: stage, block: block)
        precondition(resolution % window == 0, "Swin: resolution \(resolution) is not a multiple of window \(window)")
        norm1 = layerNorm(prefix + "norm1", dim)
        biasTable = Parameter(prefix + "attn.relative_position_bias_table", Tensor(zeros: [(2 * window - 1) * (2 * window - 1), heads]))
        qkv = linear(prefix + "attn.qkv", dim, 3 * dim)
        proj = linear(prefix + "attn.proj", dim, dim)
        norm2 = layerNorm(prefix + "norm2", dim)
        fc1 = linear(prefix + "mlp.fc1", dim, config.mlpRatio * dim)
        fc2 = linear(prefix + "mlp.fc2", config.mlpRatio * dim, dim)
        relativeIndex = SwinBlock.relativePositionIndex(window)
        shiftMask = shift > 0 ? SwinBlock.shiftedWindowMask(resolution: resolution, window: window, shift: shift) : nil
    }

    var parameters: [Parameter] {
        norm1.parameters + [biasTable] + qkv.parameters + proj.parameters + norm2.parameters + fc1.parameters + fc2.parameters
    }

    /// index[i, j] = (y_i − y_j + w − 1)·(2w − 1) + (x_i − x_j + w − 1) for tokens i, j of a window
    /// (official WindowAttention.__init__).
    static func relativePositionIndex(_ w: Int) -> [Int] {
        let n = w * w
        var idx = [Int](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                idx[i * n + j] = (i / w - j / w + w - 1) * (2 * w - 1) + (i % w - j % w + w - 1)
            }
        }
        return idx
    }

    /// The official SW-MSA mask: label the (unshifted) image in 3×3 regions split at R−w and R−s, partition
    /// the labels into windows, and put −100 where two tokens of a window carry different labels.
    static func shiftedWindowMask(resolution r: Int, window w: Int, shift s: Int) -> [Float] {
        func region(_ v: Int) -> Int { v < r - w ? 0 : (v < r - s ? 1 : 2) }
        let perSide = r / w, n = w * w
        var mask = [Float](repeating: 0, count: perSide * perSide * n * n)
        for wy in 0..<perSide {
            for wx in 0..<perSide {
                let base = (wy * perSide + wx) * n * n
                let labels = (0..<n).map { t in region(wy * w + t / w) * 3 + region(wx * w + t % w) }
                for i in 0..<n { for j in 0..<n where labels[i] != labels[j] { mask[base + i * n + j] = -100 } }
            }
        }
        return mask
    }

    /// The additive attention term: bias[h, i, j] = table[index[i, j], h], plus the shift mask per window.
    /// Shape [1, heads, N, N] (unshifted) or [1, nW·heads, N, N] (shifted; matches q viewed as [B, nW·heads, N, d]).
    /// NOTE: passed to attention as a mask, so no gradient reaches the table (the backbone is frozen in
    /// every method here; a table-tuning method would need a differentiable gather instead).
    func attentionBias() -> Tensor {
        let n = window * window, nn = n * n
        let table = biasTable.value.data
        let nW = shiftMask == nil ? 1 : (resolution / window) * (resolution / window)
        let out = Tensor(uninitialized: [1, nW * heads, n, n])
        let o = out.data
        for h in 0..<heads {
            for t in 0..<nn { o[h * nn + t] = table[relativeIndex[t] * heads + h] }
        }
        if let m = shiftMask {
            for win in stride(from: nW - 1, through: 0, by: -1) {
                for h in 0..<heads {
                    let dst = o + (win * heads + h) * nn, src = o + h * nn, mk = win * nn
                    for t in 0..<nn { dst[t] = src[t] + m[mk + t] }
                }
            }
        }
        return out
    }

    /// [B, L, C] → [B, L, C]. `dropPath` is applied to both residual branches (official `drop_path`; identity
    /// when not training).
    func callAsFunction(_ x: Tensor, dropPath: (Tensor) -> Tensor = { $0 }) -> Tensor {
        let b = x.shape[0], r = resolution, w = window, n = w * w, nW = (r / w) * (r / w), d = dim / heads
        var h = norm1(x).reshaped([b, r, r, dim])
        if shift > 0 { h = roll(roll(h, -shift, axis: 1), -shift, axis: 2) }
        // Window partition: [B, R, R, C] → [B·nW, N, C], windows row-major, tokens row-major inside.
        h = h.reshaped([b, r / w, w, r / w, w, dim]).permuted([0, 1, 3, 2, 4, 5]).reshaped([b * nW, n, dim])
        // qkv [B·nW, N, 3C] → [3, B·nW, heads, N, d].
        let t = qkv(h).reshaped([b * nW, n, 3, heads, d]).permuted([2, 0, 3, 1, 4])
        // Shifted blocks need a different mask per window: view the B·nW windows × heads as B × (nW·heads)
        // "heads" (same memory order) so one [1, nW·heads, N, N] mask covers the batch.
        let qShape = shiftMask == nil ? [b * nW, heads, n, d] : [b, nW * heads, n, d]
        let q = t.rows(0, 1).reshaped(qShape), k = t.rows(1, 2).reshaped(qShape), v = t.rows(2, 3).reshaped(qShape)
        let a = Tensor.attention(q, k, v, mask: attentionBias(), scale: 1 / Float(d).squareRoot())
        h = proj(a.reshaped([b * nW, heads, n, d]).permuted([0, 2, 1, 3]).reshaped([b * nW, n, dim]))
        // Window reverse, undo the shift.
        h = h.reshaped([b, r / w, r / w, w, w, dim]).permuted([0, 1, 3, 2, 4, 5]).reshaped([b, r, r, dim])
        if shift > 0 { h = roll(roll(h, shift, axis: 1), shift, axis: 2) }
        let y = x + dropPath(h.reshaped([b, r * r, dim]))
        return y + dropPath(fc2(fc1(norm2(y)).gelu()))
    }
}

/// PatchMerging: concat of each 2×2 neighbourhood in the official order (x0 = (even row, even col),
/// x1 = (odd, even), x2 = (even, odd), x3 = (odd, odd)), LayerNorm(4C), Linear 4C → 2C without bias.
final class PatchMerging {
    let resolution: Int, dim: Int
    let reduction: Linear, norm: LayerNorm

    init(_ prefix: String, resolution: Int, dim: Int) {
        precondition(resolution % 2 == 0, "Swin: patch merging needs an even resolution, got \(resolution)")
        self.resolution = resolution; self.dim = dim
        reduction = linear(prefix + "reduction", 4 * dim, 2 * dim, bias: false)
        norm = layerNorm(prefix + "norm", 4 * dim)
    }

    var parameters: [Parameter] { reduction.parameters + norm.parameters }

    /// [B, R², C] → [B, (R/2)², 2C].
    func callAsFunction(_ x: Tensor) -> Tensor {
        let b = x.shape[0], r = resolution
        // [B, R/2, 2(row parity), R/2, 2(col parity), C] → [B, R/2, R/2, col parity, row parity, C]: the
        // flattened neighbour index is 2·colParity + rowParity, i.e. x0, x1, x2, x3.
        let cat = x.reshaped([b, r / 2, 2, r / 2, 2, dim]).permuted([0, 1, 3, 4, 2, 5]).reshaped([b, (r / 2) * (r / 2), 4 * dim])
        return reduction(norm(cat))
    }
}

/// What `Swin.blockParts` hands out: one block's frozen layers and geometry.
public struct SwinBlockParts {
    public let norm1: LayerNorm, qkv: Linear, proj: Linear, norm2: LayerNorm, fc1: Linear, fc2: Linear
    public let heads: Int, window: Int, shift: Int, resolution: Int
    public let attentionBias: Tensor
}

/// Swin Transformer v1 with the official checkpoint naming.
///
/// The forward is split into `patchEmbed`, `stage(_:_:)` (blocks, then the stage's PatchMerging) and
/// `pool`/`head`, so that methods can insert tokens or prompts per stage later (VPT-Swin).
public final class Swin: ParameterContainer {
    public let config: SwinConfig
    /// `patch_embed.proj` (conv p×p, stride p, with bias).
    let patchWeight: Parameter, patchBias: Parameter
    let patchNorm: LayerNorm
    /// Blocks per stage.
    let blocks: [[SwinBlock]]
    /// PatchMerging at the end of every stage but the last (official `layers.i.downsample`).
    let downsamples: [PatchMerging?]
    let norm: LayerNorm
    public let head: Linear

    /// Builds the model with placeholder weights; call `load(from:)` next.
    public init(_ config: SwinConfig) {
        precondition(config.imageSize % (config.patchSize << (config.stageCount - 1)) == 0,
                     "Swin: image size \(config.imageSize) must be divisible by patch·2^(stages−1)")
        self.config = config
        patchWeight = Parameter("patch_embed.proj.weight", Tensor(zeros: [config.embedDim, 3, config.patchSize, config.patchSize]))
        patchBias = Parameter("patch_embed.proj.bias", Tensor(zeros: [config.embedDim]))
        patchNorm = layerNorm("patch_embed.norm", config.embedDim)
        blocks = (0..<config.stageCount).map { i in
            (0..<config.depths[i]).map { j in SwinBlock("layers.\(i).blocks.\(j).", config: config, stage: i, block: j) }
        }
        downsamples = (0..<config.stageCount).map { i in
            i < config.stageCount - 1 ? PatchMerging("layers.\(i).downsample.", resolution: config.resolution(i), dim: config.dim(i)) : nil
        }
        norm = layerNorm("norm", config.featureDim)
        head = linear("head", config.featureDim, config.numClasses)
    }

    /// Learnable parameters in the official state-dict order.
    public var parameters: [Parameter] {
        var ps = [patchWeight, patchBias] + patchNorm.parameters
        for i in 0..<config.stageCount {
            ps += blocks[i].flatMap(\.parameters)
            ps += downsamples[i]?.parameters ?? []
        }
        return ps + norm.parameters + head.parameters
    }

    public var parameterCount: Int { parameters.totalCount }

    // MARK: forward, in stages

    /// Conv p×p/p + LayerNorm: [B, 3, H, W] → [B, L, C].
    public func patchEmbed(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[2] == config.imageSize && x.shape[3] == config.imageSize,
                     "Swin built for \(config.imageSize)² inputs, got \(x.shape)")
        let p = config.patchSize
        let y = x.conv2d(weight: patchWeight.value, bias: patchBias.value, stride: (p, p))
        let (b, c) = (y.shape[0], y.shape[1])
        return patchNorm(y.reshaped([b, c, y.shape[2] * y.shape[3]]).transposed(1, 2))
    }

    /// Stage `index`: its blocks, then its PatchMerging if any. [B, R_i², C_i] → [B, R_{i+1}², C_{i+1}].
    public func stage(_ index: Int, _ x: Tensor) -> Tensor {
        let y = blocks[index].reduce(x) { h, blk in blk(h) }
        return downsamples[index].map { $0(y) } ?? y
    }

    /// Number of blocks of a stage.
    public func blockCount(stage: Int) -> Int { blocks[stage].count }

    /// Block `index` of stage `stage` alone, [B, R², C] → [B, R², C]; `dropPath` wraps both residual branches.
    public func block(stage: Int, _ index: Int, _ x: Tensor, dropPath: (Tensor) -> Tensor = { $0 }) -> Tensor {
        blocks[stage][index](x, dropPath: dropPath)
    }

    /// The frozen attention pieces of a block (`norm1`, fused `attn.qkv`, `attn.proj`), for methods that reuse them.
    public func attentionWeights(stage: Int, _ index: Int) -> (norm1: LayerNorm, qkv: Linear, proj: Linear, heads: Int) {
        let b = blocks[stage][index]
        return (b.norm1, b.qkv, b.proj, b.heads)
    }

    /// The frozen pieces of block `index` of stage `stage`, for methods that run the block over extra tokens
    /// (E2VPT's prompted windows): its layers, window geometry and additive attention term (`attentionBias`:
    /// relative position bias plus, in shifted blocks, the per-window mask; [1, heads, N, N] or [1, nW·heads, N, N]).
    public func blockParts(stage: Int, _ index: Int) -> SwinBlockParts {
        let b = blocks[stage][index]
        return SwinBlockParts(norm1: b.norm1, qkv: b.qkv, proj: b.proj, norm2: b.norm2, fc1: b.fc1, fc2: b.fc2, heads: b.heads,
                              window: b.window, shift: b.shift, resolution: b.resolution, attentionBias: b.attentionBias())
    }

    /// The stage's PatchMerging layers (`norm` over 4C, then `reduction` 4C → 2C), nil for the last stage.
    public func downsampleParts(stage: Int) -> (norm: LayerNorm, reduction: Linear)? {
        downsamples[stage].map { ($0.norm, $0.reduction) }
    }

    /// torch.roll of `x` by `shift` along `axis` (the cyclic shift of SW-MSA).
    public static func roll(_ x: Tensor, _ shift: Int, axis: Int) -> Tensor { Backbones.roll(x, shift, axis: axis) }

    /// The stage's PatchMerging (identity for the last stage).
    public func downsample(stage: Int, _ x: Tensor) -> Tensor { downsamples[stage].map { $0(x) } ?? x }

    /// `patch_embed.norm`, the LayerNorm after the patch projection.
    public var patchEmbedNorm: LayerNorm { patchNorm }

    /// Final LayerNorm then the mean over tokens: [B, L, C] → [B, C].
    public func pool(_ x: Tensor) -> Tensor { norm(x).mean(axis: 1) }

    /// Pre-head pooled features [B, C_last].
    public func features(_ x: Tensor) -> Tensor {
        pool((0..<config.stageCount).reduce(patchEmbed(x)) { h, i in stage(i, h) })
    }

    /// Logits [B, numClasses].
    public func forward(_ x: Tensor) -> Tensor { head(features(x)) }

    // MARK: loading

    /// Values of the buffers the model recomputes, by official name (to check a file's copies against).
    func recomputedBuffer(_ name: String) -> [Float]? {
        for (i, stage) in blocks.enumerated() {
            for (j, blk) in stage.enumerated() {
                let p = "layers.\(i).blocks.\(j)."
                if name == p + "attn.relative_position_index" { return blk.relativeIndex.map(Float.init) }
                if name == p + "attn_mask" { return blk.shiftMask }
            }
        }
        return nil
    }

    /// Loads an official (`{"model": …}`, buffers included) or timm-layout state dict. Stored
    /// `relative_position_index` / `attn_mask` are compared with the recomputed ones and reported as
    /// "recomputed". Strict by default: missing or extra tensors throw.
    @discardableResult
    public func load(from checkpoint: Checkpoint, strict: Bool = true) throws -> LoadReport {
        let prepared = try preparedCheckpoint(checkpoint)
        let dict = StateDict(prepared)
        var byName: [String: Parameter] = [:]
        for p in parameters { byName[p.name] = p }
        return try loadTensors(config.stateDictSpec(), into: byName, from: dict, fileName: config.fileName(in: prepared),
                               strict: strict) { spec, stored in
            guard let mine = self.recomputedBuffer(spec.name) else { return }
            if let i = mine.indices.first(where: { mine[$0] != stored[$0] }) {
                throw BackboneError(file: dict.file, "buffer '\(spec.name)' differs from the recomputed one at element \(i) "
                                    + "(file \(stored[i]), computed \(mine[i])): the file was made with another window/shift layout")
            }
        }
    }

    /// Builds and loads `swin-b-in22k` after checking the file is that backbone.
    public static func pretrained(_ id: BackboneID, from checkpoint: Checkpoint) throws -> Swin {
        guard id == .swinBIn22k else { throw BackboneError(file: checkpoint.file, "'\(id.rawValue)' is not a Swin backbone") }
        try id.verify(try preparedCheckpoint(checkpoint))
        let model = Swin(.swinBase22k)
        try model.load(from: checkpoint)
        return model
    }
}
