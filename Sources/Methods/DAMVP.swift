// DAM-VP — Diversity-Aware Meta Visual Prompting (Huang et al., CVPR 2023), head-tuning version on a ViT.
// Official code: shikiw/DAM-VP @ dec5821 (spec: shared/design/methods/dam_vp.md).
//   1. clustering (`task_adapting/adapter.py:120-163`): frozen features f(x) = tanh(pre_logits.fc(norm(h)[:, 0]))
//      of ≤1000 un-prompted training images (first batches of the training loader, augmented), average-linkage
//      agglomerative clustering with threshold τ (per backbone), prototype_k = mean feature of cluster k;
//   2. selection (`:95-117`): k*(x) = argmin_k √(‖f(x)‖² + ‖p_k‖² − 2 f(x)·p_k) on the un-prompted image (no grad);
//   3. pad prompter k* (`models/prompters.py:14-32`): x + [pad_up; pad_left | 0 | pad_right; pad_down];
//   4. logits = head(f(x + prompt_{k*}(x))) with a new nn.Linear(D, C) head (`:280`).
// The backbone stays frozen and in eval mode (`adapter.py:35`, `self.model.eval()`).
// Optimiser (`:287-303`): SGD groups {prompter k: lr, wd} × K and {head: lr 0.1, wd 0}; the 'momemtum' key is a typo
// (momentum stays 0: set in the recipe), and `cosine_lr` (`utils/train_utils.py:41-60`) overwrites every group's lr
// with the prompt schedule, so the head trains at the prompt lr. `FIXED_HEAD_LR: true` keeps the head at 0.1 × schedule.
// Selection (`:338-373`): the prompters with the best validation accuracy are snapshotted (not the head) and tests
// use them with the *current* head (the run reports the test accuracy after the last epoch). `FIXED_SNAPSHOT_HEAD:
// true` snapshots the head with them.
import Backbones
import Engine
import Foundation
import Random

/// DAM-VP options, with the official argument names (`arguments.py`) plus documented additions.
public struct DAMVPConfig: Codable, Sendable, Equatable {
    /// `--prompt_size` (pad width in pixels; 30 at 224).
    public var prompt_size: Int = 30
    /// `--pretrained_model`: picks the clustering threshold τ (`adapter.py:129-135`).
    public var pretrained_model: String = "vit-b-22k"
    /// `--wo_da`: one prompter, no clustering.
    public var wo_da: Bool = false
    /// `--adapt_method`: only `prompt_w_head` (head tuning) is implemented.
    public var adapt_method: String = "prompt_w_head"
    /// Addition: overrides τ (tiny backbones, tests). Absent: the official table.
    public var distance_threshold: Double?
    /// Features used for clustering (`adapter.py:147`, constant 1000 in the code).
    public var max_cluster_samples: Int = 1000
    /// Head lr of the official groups (`adapter.py:301`); only effective with `FIXED_HEAD_LR`.
    public var head_lr: Double = 0.1
    /// Fixed variant: the head keeps its own lr (0.1 × the schedule shape) instead of the prompt lr.
    public var FIXED_HEAD_LR: Bool = false
    /// Fixed variant: the best-validation snapshot includes the head.
    public var FIXED_SNAPSHOT_HEAD: Bool = false

    public init() {}

    /// Absent options keep the official defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        prompt_size = try get(.prompt_size, prompt_size)
        pretrained_model = try get(.pretrained_model, pretrained_model)
        wo_da = try get(.wo_da, wo_da)
        adapt_method = try get(.adapt_method, adapt_method)
        distance_threshold = try c.decodeIfPresent(Double.self, forKey: .distance_threshold)
        max_cluster_samples = try get(.max_cluster_samples, max_cluster_samples)
        head_lr = try get(.head_lr, head_lr)
        FIXED_HEAD_LR = try get(.FIXED_HEAD_LR, FIXED_HEAD_LR)
        FIXED_SNAPSHOT_HEAD = try get(.FIXED_SNAPSHOT_HEAD, FIXED_SNAPSHOT_HEAD)
    }

    static let known: Set<String> = ["prompt_size", "pretrained_model", "wo_da", "adapt_method", "distance_threshold",
                                     "max_cluster_samples", "head_lr", "FIXED_HEAD_LR", "FIXED_SNAPSHOT_HEAD"]

    /// τ per backbone (`adapter.py:129-135`).
    public static let thresholds: [String: Double] = [
        "resnet50-1k": 21, "vit-b-1k": 31, "vit-b-22k": 10, "swin-b-22k": 20, "moco-v3-b-1k": 18,
    ]

    public func threshold() throws -> Double {
        if let t = distance_threshold { return t }
        guard let t = Self.thresholds[pretrained_model] else {
            throw MethodError("dam-vp: no clustering threshold for pretrained_model '\(pretrained_model)'; known: \(Self.thresholds.keys.sorted())")
        }
        return t
    }
}

/// One `PadPrompter` (`models/prompters.py:14-32`): four N(0,1) border tensors.
public final class PadPrompter: ParameterContainer {
    public let up: Parameter, down: Parameter, left: Parameter, right: Parameter
    public let imageSize: Int, padSize: Int

    /// `prefix` + `pad_up` …; torch.randn init (same stream order: up, down, left, right).
    public init(prefix: String, imageSize: Int, padSize: Int, rng: inout RandomStream) {
        self.imageSize = imageSize; self.padSize = padSize
        let base = imageSize - 2 * padSize
        up = Parameter(prefix + "pad_up", Init.normal([1, 3, padSize, imageSize], std: 1, rng: &rng), trainable: true)
        down = Parameter(prefix + "pad_down", Init.normal([1, 3, padSize, imageSize], std: 1, rng: &rng), trainable: true)
        left = Parameter(prefix + "pad_left", Init.normal([1, 3, base, padSize], std: 1, rng: &rng), trainable: true)
        right = Parameter(prefix + "pad_right", Init.normal([1, 3, base, padSize], std: 1, rng: &rng), trainable: true)
    }

    /// A deep copy under another name prefix (`deepcopy(prompter)`, `adapter.py:293`).
    public init(copying other: PadPrompter, prefix: String) {
        imageSize = other.imageSize; padSize = other.padSize
        func copy(_ p: Parameter, _ n: String) -> Parameter { Parameter(prefix + n, Tensor(p.value.scalars, shape: p.shape), trainable: true) }
        up = copy(other.up, "pad_up"); down = copy(other.down, "pad_down"); left = copy(other.left, "pad_left"); right = copy(other.right, "pad_right")
    }

    public var parameters: [Parameter] { [up, down, left, right] }

    /// The additive prompt [1, 3, S, S] (zeros inside the border).
    public func prompt() -> Tensor {
        let base = imageSize - 2 * padSize
        let middle = Tensor.concat([left.value, Tensor(zeros: [1, 3, base, base]), right.value], axis: 3)
        return Tensor.concat([up.value, middle, down.value], axis: 2)
    }
}

/// DAM-VP head tuning on a ViT.
public final class DAMVP: PromptMethod {
    public let id = "dam-vp"
    public let config: DAMVPConfig
    public let vit: ViT
    /// The (meta-)prompter every cluster prompter starts from (`load_prompter`, `adapter.py:53-61`); trained itself
    /// only with `wo_da`.
    public let prompter: PadPrompter
    /// One prompter per cluster (`prompter_gather[k]`), created by `setClusters`.
    public private(set) var prompterGather: [PadPrompter] = []
    /// Cluster prototypes [K, D] (`self.prototype_gather`).
    public private(set) var prototypes: Tensor?
    /// `model.head` after `reset_classifier(C)`: nn.Linear(D, C), PyTorch default init.
    public let head: Linear
    /// Best-validation snapshot (`best_prompter_gather`, `adapter.py:316-318, 359-364`).
    var bestValues: [String: [Float]] = [:]
    var bestVal = -Double.infinity
    var swapped: [String: [Float]] = [:]

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(DAMVPConfig.self, method: "dam-vp", known: DAMVPConfig.known)
        guard config.adapt_method == "prompt_w_head" else {
            throw MethodError("dam-vp: adapt_method '\(config.adapt_method)' is not implemented (only prompt_w_head)")
        }
        guard let vit = setup.backbone.vit else { throw MethodError("dam-vp needs a ViT backbone") }
        let size = vit.config.imageSize
        guard 2 * config.prompt_size < size else { throw MethodError("dam-vp: prompt_size \(config.prompt_size) too large for \(size)-px images") }
        _ = try config.threshold()
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng.child(1)
        prompter = PadPrompter(prefix: "prompter.", imageSize: size, padSize: config.prompt_size, rng: &rng)
        var hr = setup.rng.child(2)
        head = Linear("head", vit.config.dim, setup.numClasses, rng: &hr)
        for p in head.parameters { p.trainable = true }
        if config.wo_da { prompterGather = [prompter] }
    }

    /// Number of clusters K (prompters trained).
    public var clusterCount: Int { prompterGather.count }

    public var parameters: [Parameter] {
        // Before clustering the meta prompter stands in for the gather; afterwards only the K copies exist.
        vit.parameters + (prompterGather.isEmpty ? prompter.parameters : prompterGather.flatMap(\.parameters)) + head.parameters
    }

    /// Replaces the prompt parameters by the meta prompt's values (`checkpoint['state_dict']`: pad_up …).
    public func loadMetaPrompt(_ tensors: [String: Tensor]) throws {
        for p in prompter.parameters {
            let key = String(p.name.dropFirst("prompter.".count))
            guard let t = tensors[key] ?? tensors[p.name], t.count == p.count else {
                throw MethodError("dam-vp: meta prompt lacks '\(key)' with \(p.count) values")
            }
            t.scalars.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: p.count) }
        }
    }

    // MARK: clustering

    /// Frozen features f(x) [B, D] (`model.forward_features`), no gradient.
    public func frozenFeatures(_ x: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad { vit.features(x, context: &ctx) }
    }

    /// `coarse_clustering`: features of the first `max_cluster_samples` training images → clusters → prototypes and
    /// K copies of the meta prompter.
    public func prepare(trainingData: TrainingData) throws {
        guard !config.wo_da else { return }
        let read = trainingData(0)
        var feats: [Float] = [], n = 0, d = vit.config.dim
        // `if rep_gather.size(0) > 1000: keep 1000; break` — a set of ≤1000 images is used whole.
        while n <= config.max_cluster_samples, let (x, _) = try read() {
            let f = frozenFeatures(x)
            d = f.shape[1]; feats += f.scalars; n += f.shape[0]
        }
        n = min(n, config.max_cluster_samples)
        try cluster(features: Array(feats.prefix(n * d)), rows: n)
    }

    /// Clusters features [n, D] with the configured τ and installs prototypes and prompters.
    public func cluster(features: [Float], rows n: Int) throws {
        guard n > 0 else { throw MethodError("dam-vp: no training features to cluster") }
        let labels = AgglomerativeClustering.labels(features, rows: n, threshold: try config.threshold())
        let d = features.count / n, k = (labels.max() ?? 0) + 1
        var proto = [Float](repeating: 0, count: k * d), counts = [Int](repeating: 0, count: k)
        for (i, l) in labels.enumerated() {
            counts[l] += 1
            for c in 0..<d { proto[l * d + c] += features[i * d + c] }
        }
        for l in 0..<k { for c in 0..<d { proto[l * d + c] /= Float(counts[l]) } }
        setClusters(prototypes: Tensor(proto, shape: [k, d]))
        clusterLabels = labels
    }

    /// Labels of the clustered features (for tests and logs).
    public private(set) var clusterLabels: [Int] = []

    /// Installs prototypes [K, D] and K fresh copies of the meta prompter.
    public func setClusters(prototypes p: Tensor) {
        prototypes = p
        prompterGather = (0..<p.shape[0]).map { PadPrompter(copying: prompter, prefix: "prompter_gather.\($0).") }
    }

    /// Nearest prototype per image, as `get_prompted_image` computes it (float32, first index on ties).
    public func assign(_ x: Tensor) -> [Int] {
        guard let protos = prototypes, prompterGather.count > 1 else { return [Int](repeating: 0, count: x.shape[0]) }
        let f = frozenFeatures(x)
        let b = f.shape[0], d = f.shape[1], k = protos.shape[0]
        let fv = f.scalars, pv = protos.scalars
        var out = [Int](repeating: 0, count: b)
        for i in 0..<b {
            var fs: Float = 0
            for c in 0..<d { fs += fv[i * d + c] * fv[i * d + c] }
            var best = Float.infinity
            for j in 0..<k {
                var ps: Float = 0, dot: Float = 0
                for c in 0..<d { ps += pv[j * d + c] * pv[j * d + c]; dot += fv[i * d + c] * pv[j * d + c] }
                let dist = (fs + ps - 2 * dot).squareRoot()
                // torch.argmin: first minimum; a NaN (√ of a rounding-negative value) counts as the minimum.
                if j == 0 { best = dist; out[i] = 0 } else if !best.isNaN && (dist.isNaN || dist < best) { best = dist; out[i] = j }
            }
        }
        return out
    }

    /// x + prompt_{k*(x)} (per-sample prompter, `adapter.py:110-116`).
    public func promptedImages(_ x: Tensor) -> Tensor {
        precondition(!prompterGather.isEmpty, "dam-vp: cluster the training data (prepare) before the forward pass")
        if prompterGather.count == 1 { return x + prompterGather[0].prompt() }
        let idx = assign(x)
        let all = Tensor.concat(prompterGather.map { $0.prompt() }, axis: 0)  // [K, 3, S, S]
        return x + all.indexSelect(axis: 0, idx)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var ctx = ForwardContext.eval
        return head(vit.features(promptedImages(images), context: &ctx))
    }

    // MARK: optimiser, roles, naming

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        var groups = prompterGather.enumerated().map { k, p in ParamGroup("prompter_gather.\(k)", params: p.parameters, lr: lr, weightDecay: weightDecay) }
        // Official: lr 0.1 in the group, but cosine_lr assigns the prompt schedule to every group (base = args.lr).
        groups.append(ParamGroup("head", params: head.parameters, lr: config.FIXED_HEAD_LR ? Float(config.head_lr) : lr, weightDecay: 0))
        return groups
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .prompt }

    /// timm-0.4 layout (`pre_logits.fc` kept), no prefix (`models/model_zoo/vit.py:42-65`).
    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }

    // MARK: probe weights

    /// A trained DAM-VP as one weights file. The official task-adapting code saves nothing after training; its
    /// in-memory state is `Adapter.prototype_gather` [K, D] (`adapter.py:157-163`), `prompter_gather[k]` (K deep
    /// copies of the PadPrompter, `:292-296`, each with `pad_up/pad_down/pad_left/pad_right`) and the model's
    /// `head.weight/bias`. A probe file carries them under those names: `prototype_gather` installs K clusters here, then
    /// the caller loads `prompter_gather.{k}.pad_*`. With `wo_da` there is no clustering: the single `prompter.pad_*`.
    public func loadProbeState(from weights: StateDict) throws -> [String] {
        guard !config.wo_da else { return [] }
        guard weights.contains("prototype_gather") else {
            throw MethodError("dam-vp: the weights carry no 'prototype_gather' [K, \(vit.config.dim)] — a trained DAM-VP needs its " +
                              "cluster prototypes (Adapter.prototype_gather) beside prompter_gather.{k}.pad_* and head.*")
        }
        let (shape, values) = try weights.raw("prototype_gather")
        guard shape.count == 2, shape[0] >= 1, shape[1] == vit.config.dim else {
            throw MethodError("dam-vp: prototype_gather has shape \(shape), expected [K, \(vit.config.dim)]")
        }
        setClusters(prototypes: Tensor(values, shape: shape))
        return ["prototype_gather"]
    }

    // MARK: best-validation snapshot

    var snapshotParameters: [Parameter] {
        prompterGather.flatMap(\.parameters) + (config.FIXED_SNAPSHOT_HEAD ? head.parameters : [])
    }

    public func didEvaluate(_ split: EvaluationSplit, epoch: Int, accuracy: Double) {
        switch split {
        case .val:
            // `if acc_val > BEST_ACC_VAL: best = deepcopy(prompters)` (strict: first best kept on ties).
            if accuracy > bestVal {
                bestVal = accuracy
                bestValues = Dictionary(uniqueKeysWithValues: snapshotParameters.map { ($0.name, $0.value.scalars) })
            }
        case .test:
            for p in snapshotParameters { if let v = swapped[p.name] { write(v, into: p) } }
            swapped = [:]
        }
    }

    public func willEvaluate(_ split: EvaluationSplit, epoch: Int) {
        guard split == .test, !bestValues.isEmpty else { return }
        for p in snapshotParameters {
            guard let v = bestValues[p.name] else { continue }
            swapped[p.name] = p.value.scalars
            write(v, into: p)
        }
    }

    func write(_ v: [Float], into p: Parameter) {
        v.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: p.count) }
    }

    public func checkpointState() -> [String: Tensor] {
        var s: [String: Tensor] = [:]
        if let prototypes { s["prototype_gather"] = prototypes }
        s["best_acc_val"] = Tensor([Float(bestVal)], shape: [1])
        for (k, v) in bestValues { s["best/" + k] = Tensor(v, shape: [v.count]) }
        return s
    }

    public func restore(checkpointState s: [String: Tensor]) throws {
        if let p = s["prototype_gather"] {
            guard p.shape[0] == prompterGather.count else {
                throw MethodError("dam-vp: checkpoint has \(p.shape[0]) prototypes; this run clustered into \(prompterGather.count)")
            }
            prototypes = p
        }
        if let b = s["best_acc_val"] { bestVal = Double(b.scalars[0]) }
        bestValues = [:]
        for (k, v) in s where k.hasPrefix("best/") { bestValues[String(k.dropFirst(5))] = v.scalars }
    }
}

// MARK: - Reptile meta-prompt (meta-training/meta_ht.py)

/// The meta-prompt initialisation of DAM-VP (head-tuning version, `meta-training/meta_ht.py:104-301`, `main_ht.py`).
/// Each source task is a `DAMVP` on the shared frozen backbone, already clustered on its own data (`prepare`); its
/// head is the persistent `linear_gather[t]`. One meta step, per task t on one training batch:
///   K_t fast prompters ← copies of the meta prompter θ;
///   `update_step` SGD steps on the same batch, groups {fast prompters: lr update_lr, wd}, {task head: lr 0.1, wd 0},
///   no momentum (`:170-190, 196-233`);
/// then θ ← θ − ε · Σ_t Σ_k (θ − θ_{t,k}) / Σ_t K_t (`computer_diff :104-131`, `computer_meta_weight :134-151`).
/// The paper's run: tasks [sun397, stl10, fru92, veg200, oxford-iiit-pets, eurosat] (`arguments.py:18-25`), 200 epochs,
/// batch 128, meta_lr = update_lr = 1.0 (cosine over all meta steps, `lr_scheduler :63-72`), update_step 4,
/// meta_step_size 0.5, wd 1e-4 (README, vit-b-22k); the released checkpoint was picked by a monitoring fine-tune that
/// reads oxford-flowers *test* accuracy (`main_ht.py:97-147`). Those source datasets are not part of this suite.
public enum DAMVPReptile {
    /// One meta step; returns the tasks' training losses of the first inner step.
    @discardableResult
    public static func metaStep(meta: PadPrompter, tasks: [DAMVP], batches: [(images: Tensor, labels: [Int])],
                                updateLR: Float, weightDecay: Float, updateStep: Int, metaStepSize: Float,
                                headLR: Float = 0.1) -> [Float] {
        precondition(tasks.count == batches.count && updateStep >= 1)
        var losses: [Float] = []
        let theta = meta.parameters.map { $0.value.scalars }
        var diff = theta.map { [Float](repeating: 0, count: $0.count) }
        var totalK = 0
        for (task, batch) in zip(tasks, batches) {
            for fast in task.prompterGather {
                for (p, v) in zip(fast.parameters, theta) { task.write(v, into: p) }
            }
            var groups = task.prompterGather.enumerated().map { k, p in
                ParamGroup("prompter_gather.\(k)", params: p.parameters, lr: updateLR, weightDecay: weightDecay)
            }
            groups.append(ParamGroup("head", params: task.head.parameters, lr: headLR, weightDecay: 0))
            let opt = Optimizer(OptimizerConfig(kind: .sgd), groups: groups)
            for step in 0..<updateStep {
                var ctx = ForwardContext.eval
                let loss = task.loss(TrainingBatch(images: batch.images, labels: batch.labels, epoch: 0), context: &ctx)
                if step == 0 { losses.append(loss.item) }
                opt.zeroGrad()
                loss.backward()
                opt.step()
            }
            // computer_diff: Σ_k (θ − θ_{t,k}) = K_t·θ − Σ_k θ_{t,k}
            for fast in task.prompterGather {
                for (i, p) in fast.parameters.enumerated() {
                    let v = p.value.scalars
                    for j in 0..<v.count { diff[i][j] += theta[i][j] - v[j] }
                }
            }
            totalK += task.prompterGather.count
        }
        for (i, p) in meta.parameters.enumerated() {
            var v = theta[i]
            for j in 0..<v.count { v[j] -= metaStepSize * diff[i][j] / Float(totalK) }
            v.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: v.count) }
        }
        return losses
    }
}
