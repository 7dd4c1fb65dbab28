// A toy model and task used by `bench`'s self-check and by the engine's own training tests:
// small enough to train in well under a second, rich enough to exercise conv, attention, LayerNorm,
// GELU, cross-entropy and AdamW together.
import Foundation
import Random

/// Toy classification task: which quadrant of an 8×8 image holds a bright 3×3 blob (4 classes), with noise.
public enum QuadrantTask {
    public static let classes = 4

    /// `n` images [n, 1, 8, 8] and their labels, determined by `seed`.
    public static func make(_ n: Int, seed: UInt64) -> (images: Tensor, labels: [Int]) {
        var rng = RandomStream(seed)
        let x = Tensor(zeros: [n, 1, 8, 8])
        var labels: [Int] = []
        for i in 0..<n {
            let c = rng.int(below: 4)
            labels.append(c)
            let oy = (c / 2) * 4 + rng.int(below: 2), ox = (c % 2) * 4 + rng.int(below: 2)
            for p in 0..<64 { x.data[i * 64 + p] = rng.uniform(-0.3, 0.3) }
            for dy in 0..<3 { for dx in 0..<3 where oy + dy < 8 && ox + dx < 8 { x.data[i * 64 + (oy + dy) * 8 + ox + dx] += 1 } }
        }
        return (x, labels)
    }
}

/// A one-block attention classifier for 8×8 images: 4×4 patches (conv) + position embedding →
/// pre-norm multi-head attention (2 heads) with residual → token mean → GELU → head.
public final class TinyAttentionNet: ParameterContainer {
    public let patch: Conv2d, qkv: Linear, proj: Linear, norm: LayerNorm, head: Linear
    public let pos: Parameter
    public let dim = 16

    public init(classes: Int, seed: UInt64) {
        var rng = RandomStream(seed)
        patch = Conv2d("patch_embed.proj", 1, dim, kernel: (4, 4), stride: (4, 4), rng: &rng)
        qkv = Linear("blocks.0.attn.qkv", dim, 3 * dim, rng: &rng)
        proj = Linear("blocks.0.attn.proj", dim, dim, rng: &rng)
        norm = LayerNorm("blocks.0.norm1", dim)
        head = Linear("head", dim, classes, rng: &rng)
        pos = Parameter("pos_embed", Init.truncatedNormal([1, 4, dim], std: 0.02, rng: &rng))
        for p in parameters { p.trainable = true }
    }

    public var parameters: [Parameter] {
        patch.parameters + qkv.parameters + proj.parameters + norm.parameters + head.parameters + [pos]
    }

    /// x [B, 1, 8, 8] → logits [B, classes].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let b = x.shape[0]
        var t = patch(x).reshaped([b, dim, 4]).transposed(1, 2) + pos.value  // [B, 4, D]
        let q3 = qkv(norm(t)).reshaped([b, 4, 3, 2, dim / 2]).permuted(2, 0, 3, 1, 4)  // [3, B, H, N, d]
        let parts = q3.split([1, 1, 1], axis: 0).map { $0.reshaped([b, 2, 4, dim / 2]) }
        let a = Tensor.attention(parts[0], parts[1], parts[2]).transposed(1, 2).reshaped([b, 4, dim])
        t = t + proj(a)
        return head(t.mean(axis: 1).gelu())
    }

    /// Trains on `QuadrantTask` with AdamW and a warmup-cosine schedule; returns train accuracy and losses.
    public static func train(steps: Int = 150, samples: Int = 256, batch: Int = 32, seed: UInt64 = 1,
                             onStep: ((Int, Float) -> Void)? = nil) -> (accuracy: Double, losses: [Float], net: TinyAttentionNet) {
        let net = TinyAttentionNet(classes: QuadrantTask.classes, seed: seed)
        let (x, y) = QuadrantTask.make(samples, seed: seed &+ 1)
        let opt = Optimizer(OptimizerConfig(kind: .adamw), groups: [ParamGroup(params: net.parameters, lr: 3e-3, weightDecay: 1e-4)])
        var losses: [Float] = []
        var order = RandomStream(seed &+ 2)
        for step in 0..<steps {
            let pick = Array(order.permutation(samples).prefix(batch))
            let xb = x.indexSelect(axis: 0, pick), yb = pick.map { y[$0] }
            opt.apply(.stepWarmupCosine(warmupSteps: steps / 15, totalSteps: steps), at: step)
            opt.zeroGrad()
            let loss = Tensor.crossEntropy(net(xb), labels: yb)
            losses.append(loss.item)
            onStep?(step, loss.item)
            loss.backward()
            opt.step()
        }
        let pred = withoutGrad { net(x).argmaxLastAxis() }
        let acc = Double(zip(pred, y).filter { $0 == $1 }.count) / Double(y.count)
        return (acc, losses, net)
    }
}
