import XCTest
@testable import Engine
import Random

/// A tiny attention classifier: 8×8 images → 4×4 patches (conv) → 1 attention block → CLS-free mean → head.
final class TinyAttentionNet {
    let patch: Conv2d, qkv: Linear, proj: Linear, norm: LayerNorm, head: Linear
    let pos: Parameter
    let dim = 16

    init(classes: Int, seed: UInt64) {
        var rng = RandomStream(seed)
        patch = Conv2d("patch_embed.proj", 1, dim, kernel: (4, 4), stride: (4, 4), rng: &rng)
        qkv = Linear("blocks.0.attn.qkv", dim, 3 * dim, rng: &rng)
        proj = Linear("blocks.0.attn.proj", dim, dim, rng: &rng)
        norm = LayerNorm("norm", dim)
        head = Linear("head", dim, classes, rng: &rng)
        pos = Parameter("pos_embed", Init.truncatedNormal([1, 4, dim], std: 0.02, rng: &rng))
        for p in parameters { p.trainable = true }
    }

    var parameters: [Parameter] { patch.parameters + qkv.parameters + proj.parameters + norm.parameters + head.parameters + [pos] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let b = x.shape[0]
        var t = patch(x).reshaped([b, dim, 4]).transposed(1, 2) + pos.value  // [B, 4, D]
        let q3 = qkv(norm(t)).reshaped([b, 4, 3, 2, dim / 2]).permuted(2, 0, 3, 1, 4)  // [3, B, H, N, d]
        let parts = q3.split([1, 1, 1], axis: 0).map { $0.reshaped([b, 2, 4, dim / 2]) }
        let a = Tensor.attention(parts[0], parts[1], parts[2]).transposed(1, 2).reshaped([b, 4, dim])
        t = t + proj(a)
        return head(t.mean(axis: 1).gelu())
    }
}

/// Toy task: which quadrant of an 8×8 image holds the bright 3×3 blob (4 classes), with noise.
func quadrantTask(_ n: Int, seed: UInt64) -> (Tensor, [Int]) {
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

func trainTiny(threads: Int, steps: Int = 150) -> (accuracy: Double, losses: [Float], params: [Float]) {
    Threads.set(threads)
    let net = TinyAttentionNet(classes: 4, seed: 1)
    let (x, y) = quadrantTask(256, seed: 2)
    let opt = Optimizer(OptimizerConfig(kind: .adamw), groups: [ParamGroup(params: net.parameters, lr: 3e-3, weightDecay: 1e-4)])
    var losses: [Float] = []
    var order = RandomStream(3)
    for step in 0..<steps {
        let perm = order.permutation(256).prefix(32)
        let xb = x.indexSelect(axis: 0, Array(perm)), yb = perm.map { y[$0] }
        opt.apply(.stepWarmupCosine(warmupSteps: 10, totalSteps: steps), at: step)
        opt.zeroGrad()
        let loss = Tensor.crossEntropy(net(xb), labels: yb)
        losses.append(loss.item)
        loss.backward()
        opt.step()
    }
    let pred = withoutGrad { net(x).argmaxLastAxis() }
    let acc = Double(zip(pred, y).filter { $0 == $1 }.count) / Double(y.count)
    return (acc, losses, net.parameters.flatMap { $0.value.scalars })
}

final class TrainingTests: XCTestCase {
    func testTinyAttentionNetLearnsToyTask() {
        let r = trainTiny(threads: 1)
        XCTAssertGreaterThan(r.accuracy, 0.95, "train accuracy \(r.accuracy); losses \(r.losses.suffix(5))")
        XCTAssertLessThan(r.losses.suffix(10).reduce(0, +) / 10, r.losses.prefix(10).reduce(0, +) / 10 / 3)
    }

    /// Same seed + same thread count = the same bits, for 1 and 2 threads.
    func testTrainingIsBitIdenticalForAFixedThreadCount() {
        for t in [1, 2] {
            let a = trainTiny(threads: t, steps: 30), b = trainTiny(threads: t, steps: 30)
            XCTAssertEqual(a.losses.map(\.bitPattern), b.losses.map(\.bitPattern), "losses differ with \(t) threads")
            XCTAssertEqual(a.params.map(\.bitPattern), b.params.map(\.bitPattern), "parameters differ with \(t) threads")
        }
        Threads.set(1)
    }

    func testGraphIsReleasedAfterBackward() {
        Threads.set(1)
        let net = TinyAttentionNet(classes: 4, seed: 1)
        let (x, y) = quadrantTask(16, seed: 2)
        let before = Memory.liveBytes
        for _ in 0..<3 {
            let loss = Tensor.crossEntropy(net(x), labels: y)
            loss.backward()
            for p in net.parameters { p.value.grad = nil }
        }
        XCTAssertEqual(Memory.liveBytes, before, "activations or gradients leaked")
    }

    func testDropoutKeepsExpectationAndIsSeeded() {
        var r1 = RandomStream(1, 2), r2 = RandomStream(1, 2)
        let x = Tensor(repeating: 1, shape: [100_000])
        let a = withoutGrad { x.dropout(0.25, rng: &r1) }, b = withoutGrad { x.dropout(0.25, rng: &r2) }
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertEqual(Double(a.scalars.reduce(0, +)) / 100_000, 1, accuracy: 0.01)
        XCTAssertEqual(Double(a.scalars.filter { $0 == 0 }.count) / 100_000, 0.25, accuracy: 0.01)
        var r3 = RandomStream(3)
        let p = withoutGrad { Tensor(repeating: 1, shape: [1000, 4]).dropPath(0.5, rng: &r3) }
        for i in 0..<1000 { XCTAssertEqual(Set(p.scalars[(i * 4)..<(i * 4 + 4)]).count, 1, "drop-path must act per sample") }
    }
}
