// E2VPT — Effective and Efficient Visual Prompt Tuning (Han et al., ICCV 2023), transfer type "P_VK".
// Official code: ChengHan111/E2VPT @ 7a66e75 (spec: shared/design/methods/e2vpt.md).
//   Visual prompts as VPT-deep (`src/models/vit_prompt/vit_prompt_VK.py:85-103, 136-145, 170-200`):
//     h0 = [CLS; drop_p(P₀)⊙masks; patches]; before block l ≥ 1 the P slots are replaced by drop_p(P_l)⊙masks.
//   Key/value prompts (`src/models/vit_backbones/vit_changeVK.py:157-173, 303-309`): one tensor E_l [H, K, d] per
//     layer, prepended after the q/k/v projections to both keys and values: k = [E_l; k], v = [E_l; v]
//     (SHARE_PARAM_KV, LAYER_BEHIND); queries are all N tokens, softmax(q·kᵀ/√d)·v as usual.
//   Masks (MASK_CLS_TOKEN): token mask Mtok [P] and piece mask Mpiece [P, S] (S = CLS_TOKEN_P_PIECES_NUM);
//     prompt ← prompt ⊙ Mpiece.repeat(1, D/S) ⊙ Mtok[:, None] (`vit_prompt_VK.py:136-145`): piece j scales the
//     strided channels {j, j+S, j+2S, …}. Same masks for the shallow and every deep prompt.
//   Pruning (`src/engine/trainer.py:359-555`): importance = signed mean gradient of the loss w.r.t. the masks over
//     the training set (eval mode); mask counts from percentages; the lowest-scored first (incremental sets);
//     "rewind" = a freshly initialised model trained with the chosen masks fixed.
// The backbone stays in eval mode; only the visual-prompt dropout (DROPOUT_P) and K/V dropout (DROPOUT) act.
import Backbones
import Engine
import Foundation
import Random

/// E2VPT options, with the official config names (`MODEL.P_VK.*`, `src/configs/config.py:155-217`).
public struct E2VPTConfig: Codable, Sendable, Equatable {
    /// Visual prompts per layer (`NUM_TOKENS_P`).
    public var NUM_TOKENS_P = 5
    /// Key/value prompts per layer (`NUM_TOKENS`).
    public var NUM_TOKENS = 5
    /// Visual prompts in every layer (else only before layer 0).
    public var DEEP_P = true
    /// K/V prompts in every layer (else only layer 0; the others are plain blocks).
    public var DEEP = true
    /// Dropout on the visual prompts (command.txt: 0.1).
    public var DROPOUT_P = 0.0
    /// Dropout on the K/V prompts.
    public var DROPOUT = 0.0
    /// true: [prompts; keys] (official default); false: [keys; prompts].
    public var LAYER_BEHIND = true
    /// One tensor for keys and values (`deep_QKV_embeddings`) vs two (`deep_QKV_embeddings_K` / `_V`).
    public var SHARE_PARAM_KV = true
    /// K/V prompt init: 0 uniform ±√(6/(3·patch²+16)), 1 trunc-normal std 0.02, 2 kaiming-uniform (fan_in = K·d).
    public var ORIGIN_INIT = 2
    /// Token / piece masks (pruning); the "5runs" commands set it false, the pruning ones leave the default true.
    public var MASK_CLS_TOKEN = true
    public var CLS_TOKEN_MASK = true
    public var CLS_TOKEN_MASK_PIECES = true
    public var CLS_TOKEN_P_PIECES_NUM = 16
    public var CLS_TOKEN_MASK_PERCENT = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    public var CLS_TOKEN_PIECE_MASK_PERCENT = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    public var MIN_NUMBER_CLS_TOKEN = 1
    public var MIN_NUMBER_CLS_TOKEN_PIECE = 4
    /// Sort importance descending instead of ascending.
    public var MASK_RESERVE = false
    /// L2-normalise the scores (per token for pieces) — XPrompt style; official default off.
    public var NORMALIZE_SCORES_BY_TOKEN = false
    /// Rewind phase: masks fixed to 0/1 from the lists below and frozen.
    public var REWIND_STATUS = false
    /// Token indices to mask (the contents of `mask_tokens/{n}_soft_tokens_to_mask.json`, flattened).
    public var REWIND_MASKED_TOKENS: [Int] = []
    /// Per token, piece indices to mask (`mask_tokens_pieces/{n}_soft_tokens_pieces_to_mask.json`).
    public var REWIND_MASKED_PIECES: [String: [Int]] = [:]
    /// Folder holding the official mask files (`mask_tokens/`, `mask_tokens_pieces/`, as tune_vtab_PruningRewind_CVK.py
    /// writes them); with REWIND_STATUS the masks are read from there (vit_prompt_VK.py:54-67) and added to the lists above.
    public var REWIND_OUTPUT_DIR = ""
    /// Which files: `{n}_soft_tokens_to_mask.json` and `{m}_soft_tokens_pieces_to_mask.json`.
    public var REWIND_MASK_CLS_TOKEN_NUM = -1
    public var REWIND_MASK_CLS_TOKEN_PIECE_NUM = -1
    /// Head outputs as the dataset yaml gives them (`DATA.NUMBER_CLASSES`); nil: the dataset's class count.
    /// Official kitti_distance.yaml says 196 (bug, spec §7.3).
    public var NUMBER_CLASSES: Int?
    /// Fixed variant: ignore NUMBER_CLASSES and size the head by the dataset's class count.
    public var FIXED_NUMBER_CLASSES = false
    /// Fixed variant (Swin only): with LAYER_BEHIND false, put the relative-position bias on the image keys instead of
    /// the official zero padding in front, which shifts it by K keys (E2VPTSwin.swift).
    public var FIXED_SWIN_KV_BIAS = false

    public init() {}

    static let known: Set<String> = [
        "NUM_TOKENS_P", "NUM_TOKENS", "DEEP_P", "DEEP", "DROPOUT_P", "DROPOUT", "LAYER_BEHIND", "SHARE_PARAM_KV", "ORIGIN_INIT",
        "MASK_CLS_TOKEN", "CLS_TOKEN_MASK", "CLS_TOKEN_MASK_PIECES", "CLS_TOKEN_P_PIECES_NUM", "CLS_TOKEN_MASK_PERCENT",
        "CLS_TOKEN_PIECE_MASK_PERCENT", "MIN_NUMBER_CLS_TOKEN", "MIN_NUMBER_CLS_TOKEN_PIECE", "MASK_RESERVE",
        "NORMALIZE_SCORES_BY_TOKEN", "REWIND_STATUS", "REWIND_MASKED_TOKENS", "REWIND_MASKED_PIECES", "NUMBER_CLASSES",
        "REWIND_OUTPUT_DIR", "REWIND_MASK_CLS_TOKEN_NUM", "REWIND_MASK_CLS_TOKEN_PIECE_NUM",
        "FIXED_NUMBER_CLASSES", "FIXED_SWIN_KV_BIAS",
    ]

    // Missing keys take the official defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = E2VPTConfig()
        func v<T: Decodable>(_ k: CodingKeys, _ def: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? def }
        NUM_TOKENS_P = try v(.NUM_TOKENS_P, d.NUM_TOKENS_P); NUM_TOKENS = try v(.NUM_TOKENS, d.NUM_TOKENS)
        DEEP_P = try v(.DEEP_P, d.DEEP_P); DEEP = try v(.DEEP, d.DEEP)
        DROPOUT_P = try v(.DROPOUT_P, d.DROPOUT_P); DROPOUT = try v(.DROPOUT, d.DROPOUT)
        LAYER_BEHIND = try v(.LAYER_BEHIND, d.LAYER_BEHIND); SHARE_PARAM_KV = try v(.SHARE_PARAM_KV, d.SHARE_PARAM_KV)
        ORIGIN_INIT = try v(.ORIGIN_INIT, d.ORIGIN_INIT)
        MASK_CLS_TOKEN = try v(.MASK_CLS_TOKEN, d.MASK_CLS_TOKEN); CLS_TOKEN_MASK = try v(.CLS_TOKEN_MASK, d.CLS_TOKEN_MASK)
        CLS_TOKEN_MASK_PIECES = try v(.CLS_TOKEN_MASK_PIECES, d.CLS_TOKEN_MASK_PIECES)
        CLS_TOKEN_P_PIECES_NUM = try v(.CLS_TOKEN_P_PIECES_NUM, d.CLS_TOKEN_P_PIECES_NUM)
        CLS_TOKEN_MASK_PERCENT = try v(.CLS_TOKEN_MASK_PERCENT, d.CLS_TOKEN_MASK_PERCENT)
        CLS_TOKEN_PIECE_MASK_PERCENT = try v(.CLS_TOKEN_PIECE_MASK_PERCENT, d.CLS_TOKEN_PIECE_MASK_PERCENT)
        MIN_NUMBER_CLS_TOKEN = try v(.MIN_NUMBER_CLS_TOKEN, d.MIN_NUMBER_CLS_TOKEN)
        MIN_NUMBER_CLS_TOKEN_PIECE = try v(.MIN_NUMBER_CLS_TOKEN_PIECE, d.MIN_NUMBER_CLS_TOKEN_PIECE)
        MASK_RESERVE = try v(.MASK_RESERVE, d.MASK_RESERVE)
        NORMALIZE_SCORES_BY_TOKEN = try v(.NORMALIZE_SCORES_BY_TOKEN, d.NORMALIZE_SCORES_BY_TOKEN)
        REWIND_STATUS = try v(.REWIND_STATUS, d.REWIND_STATUS)
        REWIND_MASKED_TOKENS = try v(.REWIND_MASKED_TOKENS, d.REWIND_MASKED_TOKENS)
        REWIND_MASKED_PIECES = try v(.REWIND_MASKED_PIECES, d.REWIND_MASKED_PIECES)
        REWIND_OUTPUT_DIR = try v(.REWIND_OUTPUT_DIR, d.REWIND_OUTPUT_DIR)
        REWIND_MASK_CLS_TOKEN_NUM = try v(.REWIND_MASK_CLS_TOKEN_NUM, d.REWIND_MASK_CLS_TOKEN_NUM)
        REWIND_MASK_CLS_TOKEN_PIECE_NUM = try v(.REWIND_MASK_CLS_TOKEN_PIECE_NUM, d.REWIND_MASK_CLS_TOKEN_PIECE_NUM)
        NUMBER_CLASSES = try c.decodeIfPresent(Int.self, forKey: .NUMBER_CLASSES)
        FIXED_NUMBER_CLASSES = try v(.FIXED_NUMBER_CLASSES, d.FIXED_NUMBER_CLASSES)
        FIXED_SWIN_KV_BIAS = try v(.FIXED_SWIN_KV_BIAS, d.FIXED_SWIN_KV_BIAS)
    }
}

/// E2VPT on a ViT: visual prompts + per-layer key/value prompts (+ token/piece masks for pruning).
public final class E2VPT: BackboneWithHead, E2VPTMasking {
    public let config: E2VPTConfig
    /// `enc.transformer.prompt_embeddings` [1, P, D].
    public let prompt: Parameter
    /// `enc.transformer.deep_prompt_embeddings` [L − 1, P, D] (DEEP_P).
    public let deepPrompt: Parameter?
    /// Per layer: `enc.transformer.encoder.layer.{l}.attn.deep_QKV_embeddings` [H, K, d] (or the _K/_V pair).
    public let keyPrompts: [Parameter], valuePrompts: [Parameter]
    /// `enc.transformer.prompt_soft_tokens_mask_cls_token` [P] and `…_pieces_mask_cls_token` [P, S].
    public let tokenMask: Parameter?, pieceMask: Parameter?

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(E2VPTConfig.self, method: "e2vpt", known: E2VPTConfig.known)
        guard let c = setup.backbone.vit?.config else { throw MethodError("e2vpt needs a ViT or Swin backbone") }
        self.config = config
        let p = config.NUM_TOKENS_P, k = config.NUM_TOKENS
        guard p > 0, k > 0 else { throw MethodError("e2vpt: NUM_TOKENS_P and NUM_TOKENS must be positive") }
        var rng = setup.rng.child(1)
        // Visual prompts: VPT's xavier-like bound √(6/(3·patch² + D)) (vit_prompt_VK.py:85-103).
        let bound = Float((6.0 / Double(3 * c.patchSize * c.patchSize + c.dim)).squareRoot())
        prompt = Parameter("enc.transformer.prompt_embeddings", Init.uniform([1, p, c.dim], -bound, bound, rng: &rng), trainable: true)
        deepPrompt = config.DEEP_P
            ? Parameter("enc.transformer.deep_prompt_embeddings", Init.uniform([c.depth - 1, p, c.dim], -bound, bound, rng: &rng), trainable: true)
            : nil
        // K/V prompts (vit_changeVK.py:157-173): kaiming_uniform_(a=0, fan_in, leaky_relu) on [H, K, d] ⇒
        // fan_in = K·d, bound = √2·√(3/fan_in) = √(6/(K·d)).
        func kvInit() -> Tensor {
            let shape = [c.heads, k, c.headDim]
            switch config.ORIGIN_INIT {
            case 0:
                let b = Float((6.0 / Double(3 * c.patchSize * c.patchSize + 16)).squareRoot())
                return Init.uniform(shape, -b, b, rng: &rng)
            case 1: return Init.truncatedNormal(shape, std: 0.02, rng: &rng)
            default:
                let b = Float((6.0 / Double(k * c.headDim)).squareRoot())
                return Init.uniform(shape, -b, b, rng: &rng)
            }
        }
        let kvLayers = config.DEEP ? c.depth : 1
        var keys: [Parameter] = [], values: [Parameter] = []
        for l in 0..<kvLayers {
            let base = "enc.transformer.encoder.layer.\(l).attn.deep_QKV_embeddings"
            if config.SHARE_PARAM_KV {
                let e = Parameter(base, kvInit(), trainable: true)
                keys.append(e); values.append(e)
            } else {
                // Official creation order: V then K (vit_changeVK.py:132-137).
                let v = Parameter(base + "_V", kvInit(), trainable: true)
                let kk = Parameter(base + "_K", kvInit(), trainable: true)
                keys.append(kk); values.append(v)
            }
        }
        keyPrompts = keys; valuePrompts = values
        // Masks start at 1 and train (their names contain "prompt", so P_VK's freezing rule keeps them trainable).
        let s = config.CLS_TOKEN_P_PIECES_NUM
        if config.MASK_CLS_TOKEN && config.CLS_TOKEN_MASK_PIECES {
            guard s > 0, c.dim % s == 0 else { throw MethodError("e2vpt: CLS_TOKEN_P_PIECES_NUM \(s) must divide the width \(c.dim)") }
        }
        tokenMask = config.MASK_CLS_TOKEN && config.CLS_TOKEN_MASK
            ? Parameter("enc.transformer.prompt_soft_tokens_mask_cls_token", Tensor(repeating: 1, shape: [p]), trainable: true) : nil
        pieceMask = config.MASK_CLS_TOKEN && config.CLS_TOKEN_MASK_PIECES
            ? Parameter("enc.transformer.prompt_soft_tokens_pieces_mask_cls_token", Tensor(repeating: 1, shape: [p, s]), trainable: true) : nil
        var headSetup = setup
        if let n = config.NUMBER_CLASSES, !config.FIXED_NUMBER_CLASSES { headSetup.numClasses = n }
        try super.init(id: "e2vpt", setup: headSetup) { _ in false }
        try applyRewindStatus()
    }

    // MARK: - Official mask files (tune_vtab_PruningRewind_CVK.py:385-426, Trainer.dump; read by vit_prompt_VK.py:110-126)

    /// `mask_tokens/{n}_soft_tokens_to_mask.json`: `{"n": [token, …]}`.
    public static func tokenMaskFile(dir: URL, count n: Int) -> URL {
        dir.appendingPathComponent("mask_tokens").appendingPathComponent("\(n)_soft_tokens_to_mask.json")
    }
    /// `mask_tokens_pieces/{m}_soft_tokens_pieces_to_mask.json`: `{"token": [piece, …], …}`.
    public static func pieceMaskFile(dir: URL, count m: Int) -> URL {
        dir.appendingPathComponent("mask_tokens_pieces").appendingPathComponent("\(m)_soft_tokens_pieces_to_mask.json")
    }

    /// Reads the official mask files for `tokens` / `pieces` counts (nil: that kind not read). As the official loader:
    /// the union of every list in the token file; piece lists keyed by token index.
    public static func readMaskFiles(dir: URL, tokens n: Int?, pieces m: Int?) throws -> (tokens: [Int], pieces: [String: [Int]]) {
        func object(_ u: URL) throws -> [String: Any] {
            guard let d = FileManager.default.contents(atPath: u.path) else { throw MethodError("e2vpt: mask file \(u.path) not found") }
            guard let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
                throw MethodError("e2vpt: \(u.path) is not a JSON object of index lists")
            }
            return o
        }
        func ints(_ v: Any, _ u: URL) throws -> [Int] {
            guard let a = v as? [Any] else { throw MethodError("e2vpt: \(u.path): expected a list of indices") }
            return try a.map { x in
                guard let n = x as? NSNumber, n.doubleValue == n.doubleValue.rounded() else { throw MethodError("e2vpt: \(u.path): \(x) is not an index") }
                return n.intValue
            }
        }
        var tokens: [Int] = [], pieces: [String: [Int]] = [:]
        if let n = n {
            let u = tokenMaskFile(dir: dir, count: n)
            for (_, v) in try object(u) { tokens += try ints(v, u) }
        }
        if let m = m {
            let u = pieceMaskFile(dir: dir, count: m)
            for (k, v) in try object(u) {
                guard Int(k) != nil else { throw MethodError("e2vpt: \(u.path): key '\(k)' is not a token index") }
                pieces[k] = try ints(v, u).sorted()
            }
        }
        return (Array(Set(tokens)).sorted(), pieces)
    }

    /// Writes one step of the mask schedule in the official format (JSON lists, as `Trainer.dump` writes sets).
    public static func writeMaskFiles(dir: URL, tokens: (count: Int, masked: Set<Int>)?, pieces: (count: Int, masked: [Int: Set<Int>])?) throws {
        let fm = FileManager.default
        if let t = tokens {
            let u = tokenMaskFile(dir: dir, count: t.count)
            try fm.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: ["\(t.count)": t.masked.sorted()], options: [.sortedKeys]).write(to: u, options: .atomic)
        }
        if let p = pieces {
            let u = pieceMaskFile(dir: dir, count: p.count)
            try fm.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
            var o: [String: [Int]] = [:]
            for (k, v) in p.masked { o["\(k)"] = v.sorted() }
            try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]).write(to: u, options: .atomic)
        }
    }

    var ownParameters: [Parameter] {
        var out = [prompt] + (deepPrompt.map { [$0] } ?? [])
        var seen = Set<ObjectIdentifier>()
        for (kp, vp) in zip(keyPrompts, valuePrompts) {
            for t in config.SHARE_PARAM_KV ? [kp] : [vp, kp] where seen.insert(ObjectIdentifier(t)).inserted { out.append(t) }
        }
        return out + [tokenMask, pieceMask].compactMap { $0 }
    }

    public override var parameters: [Parameter] { vit.parameters + ownParameters + head.parameters }

    /// Mask factor [P, D]: Mpiece.repeat(1, D/S) ⊙ Mtok[:, None] (vit_prompt_VK.py:136-145), or nil without masks.
    func maskFactor() -> Tensor? {
        let d = vit.config.dim
        var m: Tensor? = nil
        if let pm = pieceMask {
            let s = config.CLS_TOKEN_P_PIECES_NUM
            m = Tensor.concat(Array(repeating: pm.value, count: d / s), axis: 1)  // column c ↦ piece c mod S
        }
        if let tm = tokenMask {
            let t = tm.value.reshaped([config.NUM_TOKENS_P, 1])
            m = m.map { $0 * t } ?? t
        }
        return m
    }

    /// Visual prompts of one layer for the batch: dropout, then the masks (official order).
    func prompts(_ layer: Int, batch b: Int, mask: Tensor?, context: inout ForwardContext) -> Tensor {
        let d = vit.config.dim, n = config.NUM_TOKENS_P
        let source = layer == 0 ? prompt.value : deepPrompt!.value.rows(layer - 1, layer)
        var x = source.expand([b, n, d])
        if context.training && config.DROPOUT_P > 0 { x = x.dropout(Float(config.DROPOUT_P), rng: &context.rng) }
        if let mask { x = x * mask }
        return x
    }

    public override func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        let n = config.NUM_TOKENS_P
        let mask = maskFactor()
        var ctx = context
        var hooks = ViTHooks()
        hooks.beforeBlock = { [self] i, h in
            let b = h.shape[0], total = h.shape[1]
            if i == 0 {
                return Tensor.concat([h.slice(axis: 1, 0, 1), prompts(0, batch: b, mask: mask, context: &ctx), h.slice(axis: 1, 1, total)], axis: 1)
            }
            guard deepPrompt != nil else { return h }
            return Tensor.concat([h.slice(axis: 1, 0, 1), prompts(i, batch: b, mask: mask, context: &ctx), h.slice(axis: 1, 1 + n, total)], axis: 1)
        }
        if ctx.training && config.DROPOUT > 0 {
            hooks.extraKeyValues = { [self] i, k, v in
                guard i < keyPrompts.count else { return (k, v) }
                let b = k.shape[0], shape = [b, k.shape[1], config.NUM_TOKENS, k.shape[3]]
                // QKV_dropout is applied separately to the key and the value copy, per image (vit_changeVK.py:303-309).
                let ek = keyPrompts[i].value.expand(shape).dropout(Float(config.DROPOUT), rng: &ctx.rng)
                let ev = valuePrompts[i].value.expand(shape).dropout(Float(config.DROPOUT), rng: &ctx.rng)
                return config.LAYER_BEHIND
                    ? (Tensor.concat([ek, k], axis: 2), Tensor.concat([ev, v], axis: 2))
                    : (Tensor.concat([k, ek], axis: 2), Tensor.concat([v, ev], axis: 2))
            }
        } else {
            // Without dropout the K/V prompts are the same for every image: the packed attention reads them once per
            // head (LAYER_BEHIND puts them before the image's own keys, vit_changeVK.py:292-309).
            hooks.prefixKeyValues = { [self] i in
                i < keyPrompts.count ? (keyPrompts[i].value, valuePrompts[i].value, config.LAYER_BEHIND) : nil
            }
        }
        var backboneCtx = ForwardContext.eval  // vit_prompt_VK.py:157-168 keeps the encoder in eval mode
        let f = vit.features(images, hooks: hooks, context: &backboneCtx)
        context.rng = ctx.rng
        return head(f)
    }

    public override func role(of p: Parameter) -> ParameterRole {
        p.name.contains("QKV") ? .prompt : super.role(of: p)
    }

    // MARK: - Masks, importance, pruning (src/engine/trainer.py:359-555)

    /// Mask counts per pruning step (`determine_mask_sequence`): n = ⌊N·pct/100⌋, capped at N − min (and the list
    /// stops after the first cap); returns the cumulative counts, sorted (the official increments are their differences).
    public static func maskCounts(total: Int, percents: [Int], minimum: Int) -> [Int] {
        var out: [Int] = []
        for pct in percents {
            var n = total * pct / 100
            if minimum > 0 && n > total - minimum {
                n = total - minimum
                out.append(n)
                break
            }
            out.append(n)
        }
        return out.sorted()
    }

    /// Increments between consecutive cumulative counts (the "mask sequence").
    public static func maskSequence(_ counts: [Int]) -> [Int] {
        counts.enumerated().map { $0.offset == 0 ? $0.element : $0.element - counts[$0.offset - 1] }
    }

    /// Adds the `n` lowest-scored (highest with `reverse`) not-yet-masked indices to `masked` (`what_tokens_to_mask`;
    /// Python's stable sort: ties keep index order).
    public static func extendMask(scores: [Float], count n: Int, masked: inout Set<Int>, reverse: Bool = false) {
        let order = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? (reverse ? scores[a] > scores[b] : scores[a] < scores[b]) : a < b
        }
        for i in order.filter({ !masked.contains($0) }).prefix(n) { masked.insert(i) }
    }

    public override func checkpointState() -> [String: Tensor] { maskCheckpointState() }
    public override func restore(checkpointState s: [String: Tensor]) throws { try restoreMasks(s) }
}

// MARK: - The mask side of E2VPT, shared by its ViT (`E2VPT`) and Swin (`E2VPTSwin`) models

/// An E2VPT model with token / piece masks on its first prompts: rewind masks, importance scores and the mask schedule
/// of the official pruning (`src/engine/trainer.py:359-555`).
public protocol E2VPTMasking: PromptMethod {
    var config: E2VPTConfig { get }
    /// `prompt_soft_tokens_mask_cls_token` [P] and `prompt_soft_tokens_pieces_mask_cls_token` [P, S].
    var tokenMask: Parameter? { get }
    var pieceMask: Parameter? { get }
}

extension E2VPTMasking {
    /// REWIND_STATUS: the masks from REWIND_MASKED_* and the official mask files under REWIND_OUTPUT_DIR, fixed.
    func applyRewindStatus() throws {
        guard config.MASK_CLS_TOKEN && config.REWIND_STATUS else { return }
        var tokens = config.REWIND_MASKED_TOKENS, pieces = config.REWIND_MASKED_PIECES
        if !config.REWIND_OUTPUT_DIR.isEmpty {
            let files = try E2VPT.readMaskFiles(dir: URL(fileURLWithPath: config.REWIND_OUTPUT_DIR),
                                                tokens: config.CLS_TOKEN_MASK ? config.REWIND_MASK_CLS_TOKEN_NUM : nil,
                                                pieces: config.CLS_TOKEN_MASK_PIECES ? config.REWIND_MASK_CLS_TOKEN_PIECE_NUM : nil)
            tokens += files.tokens
            for (k, v) in files.pieces { pieces[k, default: []] += v }
        }
        try setRewindMasks(tokens: tokens, pieces: pieces)
    }

    /// Sets the rewind masks: listed tokens / pieces to 0, the rest 1, and freezes both mask tensors
    /// (`mask_soft_tokens`, `mask_soft_tokens_pieces`, vit_prompt_VK.py:236-250).
    public func setRewindMasks(tokens: [Int], pieces: [String: [Int]]) throws {
        let p = config.NUM_TOKENS_P, s = config.CLS_TOKEN_P_PIECES_NUM
        if let tm = tokenMask {
            tm.value.fill(1)
            for t in tokens {
                guard (0..<p).contains(t) else { throw MethodError("e2vpt: masked token \(t) outside 0..<\(p)") }
                tm.value.data[t] = 0
            }
            tm.trainable = false
        }
        if let pm = pieceMask {
            pm.value.fill(1)
            for (key, list) in pieces {
                guard let t = Int(key), (0..<p).contains(t) else { throw MethodError("e2vpt: masked-piece token '\(key)' outside 0..<\(p)") }
                for j in list {
                    guard (0..<s).contains(j) else { throw MethodError("e2vpt: piece \(j) outside 0..<\(s)") }
                    pm.value.data[t * s + j] = 0
                }
            }
            pm.trainable = false
        }
    }

    /// Importance scores: the mean over batches of ∂L/∂Mtok and ∂L/∂Mpiece (signed, no abs — spec §7.2), optionally
    /// L2-normalised (NORMALIZE_SCORES_BY_TOKEN). `batches` yields (images, labels); eval mode (dropout off).
    public func importance(_ batches: () throws -> (Tensor, [Int])?) rethrows -> (tokens: [Float], pieces: [[Float]]) {
        let p = config.NUM_TOKENS_P, s = config.CLS_TOKEN_P_PIECES_NUM
        var tok = [Float](repeating: 0, count: p), pcs = [Float](repeating: 0, count: p * s), count = 0
        while case let (x, y)? = try batches() {
            for t in trainable { t.value.grad = nil }
            var ctx = ForwardContext.eval
            loss(TrainingBatch(images: x, labels: y, epoch: 0), context: &ctx).backward()
            if let g = tokenMask?.grad { for i in 0..<p { tok[i] += g.data[i] } }
            if let g = pieceMask?.grad { for i in 0..<(p * s) { pcs[i] += g.data[i] } }
            count += 1
        }
        for t in trainable { t.value.grad = nil }
        let c = Float(max(count, 1))
        tok = tok.map { $0 / c }; pcs = pcs.map { $0 / c }
        if config.NORMALIZE_SCORES_BY_TOKEN {
            let nt = tok.map { $0 * $0 }.reduce(0, +).squareRoot()
            tok = tok.map { $0 / (nt + 1e-20) }
            for t in 0..<p {
                let row = pcs[(t * s)..<((t + 1) * s)]
                let n = row.map { $0 * $0 }.reduce(0, +).squareRoot()
                for j in 0..<s { pcs[t * s + j] /= (n + 1e-20) }
            }
        }
        return (tok, (0..<p).map { Array(pcs[($0 * s)..<(($0 + 1) * s)]) })
    }

    /// The nested token and piece mask sets for every step of the official schedule (what the official code writes
    /// to `mask_tokens/{n}_soft_tokens_to_mask.json` and `mask_tokens_pieces/{n}_…json`), keyed by cumulative count.
    public func maskSchedule(tokens: [Float], pieces: [[Float]]) -> (tokens: [(Int, Set<Int>)], pieces: [(Int, [Int: Set<Int>])]) {
        let p = config.NUM_TOKENS_P, s = config.CLS_TOKEN_P_PIECES_NUM
        let tc = E2VPT.maskCounts(total: p, percents: config.CLS_TOKEN_MASK_PERCENT, minimum: config.MIN_NUMBER_CLS_TOKEN)
        var masked = Set<Int>(), tOut: [(Int, Set<Int>)] = []
        for (n, inc) in zip(tc, E2VPT.maskSequence(tc)) {
            E2VPT.extendMask(scores: tokens, count: inc, masked: &masked, reverse: config.MASK_RESERVE)
            tOut.append((n, masked))
        }
        let pc = E2VPT.maskCounts(total: s, percents: config.CLS_TOKEN_PIECE_MASK_PERCENT, minimum: config.MIN_NUMBER_CLS_TOKEN_PIECE)
        var pm = [Int: Set<Int>](), pOut: [(Int, [Int: Set<Int>])] = []
        for (n, inc) in zip(pc, E2VPT.maskSequence(pc)) {
            for t in 0..<p { E2VPT.extendMask(scores: pieces[t], count: inc, masked: &pm[t, default: []], reverse: config.MASK_RESERVE) }
            pOut.append((n, pm))
        }
        return (tOut, pOut)
    }

    // Masks are trainable state before pruning and fixed afterwards; either way they travel with the checkpoint
    // (trainable ones as parameters, fixed ones here).
    func maskCheckpointState() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        if let t = tokenMask, !t.trainable { out[t.name] = t.value }
        if let t = pieceMask, !t.trainable { out[t.name] = t.value }
        return out
    }

    func restoreMasks(_ s: [String: Tensor]) throws {
        for m in [tokenMask, pieceMask].compactMap({ $0 }) {
            if let v = s[m.name] {
                guard v.count == m.count else { throw MethodError("e2vpt: checkpoint mask \(m.name) has \(v.count) values, expected \(m.count)") }
                m.value.assign(v)
            }
        }
    }
}
