import XCTest
@testable import Engine
import Random

/// One finite-difference check per op with a backward, on odd shapes.
final class GradientTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testUnaryMaps() {
        checkGradients([randomTensor([3, 5], seed: 1)]) { $0[0].exp() }
        checkGradients([randomTensor([3, 5], seed: 2, 0.5, 2)]) { $0[0].log() }
        checkGradients([randomTensor([3, 5], seed: 3)]) { $0[0].tanh() }
        checkGradients([randomTensor([3, 5], seed: 4, -3, 3)]) { $0[0].sigmoid() }
        checkGradients([randomTensor([7, 3], seed: 5, -3, 3)], h: 1e-3) { $0[0].gelu() }
        checkGradients([randomTensor([2, 3], seed: 6, 0.5, 2)]) { $0[0].sqrt() }
        checkGradients([randomTensor([2, 3], seed: 7, 0.5, 2)]) { $0[0].pow(2.5) }
        checkGradients([randomTensor([2, 3], seed: 8)]) { ($0[0] * 3 + 1) / 2 - 0.5 }
        // Kinked maps: values kept away from the kink so the finite difference is valid.
        let away = Tensor([-1.2, -0.4, 0.3, 0.9, 1.7, -2.1], shape: [2, 3])
        checkGradients([away]) { $0[0].relu() }
        checkGradients([away.detached()]) { $0[0].leakyRelu(0.1) }
        checkGradients([away.detached()]) { $0[0].abs() }
        checkGradients([away.detached()]) { $0[0].clamped(-1, 1) }
    }

    func testBroadcastingBinaryOps() {
        let a = randomTensor([2, 3, 5], seed: 10), b = randomTensor([3, 1], seed: 11, 0.5, 1.5)
        checkGradients([a, b]) { $0[0] + $0[1] }
        checkGradients([a.detached(), b.detached()]) { $0[0] - $0[1] }
        checkGradients([a.detached(), b.detached()]) { $0[0] * $0[1] }
        checkGradients([a.detached(), b.detached()]) { $0[0] / $0[1] }
        checkGradients([randomTensor([4, 5], seed: 12), randomTensor([5], seed: 13)]) { $0[0] * $0[1] }
        checkGradients([randomTensor([1, 5], seed: 14), randomTensor([3, 1], seed: 15)]) { $0[0] - $0[1] }
        checkGradients([randomTensor([3, 4], seed: 16), Tensor([0.7], shape: [1])]) { $0[0] * $0[1] }
        // The same tensor used twice accumulates both paths.
        checkGradients([randomTensor([3, 3], seed: 17)]) { $0[0] * $0[0] + $0[0] }
    }

    func testReductions() {
        let x = randomTensor([3, 4, 5], seed: 20)
        checkGradients([x]) { $0[0].sum(axis: 1) }
        checkGradients([x.detached()]) { $0[0].sum(axes: [0, 2], keepDims: true) }
        checkGradients([x.detached()]) { $0[0].mean(axis: -1) }
        checkGradients([x.detached()]) { $0[0].mean() }
        checkGradients([x.detached()]) { $0[0].logSumExp(axis: 1) }
        checkGradients([randomTensor([1, 4], seed: 21)]) { $0[0].expand([3, 4]) }
    }

    func testMatrixProducts() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomTensor(ta ? [5, 3] : [3, 5], seed: 30), b = randomTensor(tb ? [4, 5] : [5, 4], seed: 31)
            checkGradients([a, b]) { Tensor.matmul($0[0], $0[1], transA: ta, transB: tb) }
            let ba = randomTensor(ta ? [2, 5, 3] : [2, 3, 5], seed: 32), bb = randomTensor(tb ? [2, 4, 5] : [2, 5, 4], seed: 33)
            checkGradients([ba, bb]) { Tensor.bmm($0[0], $0[1], transA: ta, transB: tb) }
            let shared = randomTensor(tb ? [4, 5] : [5, 4], seed: 34)
            checkGradients([ba.detached(), shared]) { Tensor.bmm($0[0], $0[1], transA: ta, transB: tb) }
        }
        checkGradients([randomTensor([2, 3, 7], seed: 35), randomTensor([5, 7], seed: 36), randomTensor([5], seed: 37)]) {
            Tensor.linear($0[0], $0[1], $0[2])
        }
    }

    func testSoftmaxAndNorms() {
        checkGradients([randomTensor([3, 7], seed: 40, -2, 2)]) { $0[0].softmax() }
        checkGradients([randomTensor([3, 7], seed: 41, -2, 2)]) { $0[0].logSoftmax() }
        checkGradients([randomTensor([2, 3, 9], seed: 42), randomTensor([9], seed: 43), randomTensor([9], seed: 44)], h: 5e-3) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2], eps: 1e-6)
        }
        for training in [true, false] {
            let rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
            checkGradients([randomTensor([2, 3, 3, 5], seed: 45), randomTensor([3], seed: 46), randomTensor([3], seed: 47)], h: 5e-3) {
                $0[0].batchNorm2d(weight: $0[1], bias: $0[2], runningMean: rm.detached(), runningVar: rv.detached(), training: training)
            }
        }
    }

    func testAttention() {
        let q = randomTensor([2, 2, 3, 4], seed: 50), k = randomTensor([2, 2, 5, 4], seed: 51), v = randomTensor([2, 2, 5, 3], seed: 52)
        checkGradients([q, k, v]) { Tensor.attention($0[0], $0[1], $0[2]) }
        let mask = randomTensor([2, 1, 3, 5], seed: 53, -2, 0)
        checkGradients([q.detached(), k.detached(), v.detached()]) { Tensor.attention($0[0], $0[1], $0[2], mask: mask) }
    }

    func testLayoutOps() {
        let x = randomTensor([2, 3, 4], seed: 60)
        checkGradients([x]) { $0[0].reshaped([6, 4]) }
        checkGradients([x.detached()]) { $0[0].permuted(2, 0, 1) }
        checkGradients([x.detached()]) { $0[0].transposed(0, 2) }
        checkGradients([x.detached()]) { $0[0].rows(1, 2) }
        checkGradients([x.detached()]) { $0[0].slice(axis: 2, 1, 3) }
        checkGradients([x.detached(), randomTensor([2, 2, 4], seed: 61)]) { Tensor.concat([$0[0], $0[1]], axis: 1) }
        checkGradients([x.detached()]) { Tensor.concat($0[0].split([1, 3], axis: 2).reversed(), axis: 2) }
        checkGradients([x.detached()]) { $0[0].indexSelect(axis: 1, [2, 0, 2]) }
        checkGradients([randomTensor([3, 5], seed: 62)]) { $0[0].gatherLastAxis([[0, 4], [1, 1], [3, 2]]) }
    }

    func testConvolutionFamily() {
        checkGradients([randomTensor([2, 4, 7, 6], seed: 70), randomTensor([6, 2, 3, 3], seed: 71), randomTensor([6], seed: 72)]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 2), groups: 2)
        }
        checkGradients([randomTensor([1, 3, 9, 9], seed: 73), randomTensor([3, 1, 3, 3], seed: 74)]) {
            $0[0].conv2d(weight: $0[1], padding: (2, 2), dilation: (2, 2), groups: 3)
        }
        // The frozen-BatchNorm epilogue: constant scale, shift, shortcut and ReLU (several images per GEMM, and one).
        let scale = randomTensor([4], seed: 77, 0.5, 1.5)
        checkGradients([randomTensor([3, 3, 5, 5], seed: 78), randomTensor([4, 3, 3, 3], seed: 79), randomTensor([4], seed: 70),
                        randomTensor([3, 4, 5, 5], seed: 71)]) {
            $0[0].conv2d(weight: $0[1], scale: scale, bias: $0[2], padding: (1, 1), residual: $0[3], relu: true)
        }
        // (No ReLU on the large map: thousands of outputs would cross its kink under the finite difference; the
        // ReLU's mask on this path is checked exactly in ConvPlanTests.)
        checkGradients([randomTensor([1, 3, 48, 48], seed: 72), randomTensor([4, 3, 1, 1], seed: 69), randomTensor([1, 4, 48, 48], seed: 68)]) {
            $0[0].conv2d(weight: $0[1], scale: scale, residual: $0[2])
        }
        checkGradients([randomTensor([2, 2, 5, 6], seed: 75)]) { $0[0].unfold(kernel: (3, 2), stride: (2, 1), padding: (1, 0)) }
        checkGradients([randomTensor([2, 6, 15], seed: 76)]) { $0[0].fold(outputSize: (5, 6), kernel: (3, 2), stride: (2, 1), padding: (1, 0)) }
    }

    func testPoolingAndPadding() {
        // Distinct values so max-pool's argmax is stable under ±h.
        var vals = (0..<(2 * 2 * 7 * 7)).map { Float($0) * 0.37 }
        var r = RandomStream(5); vals = r.permutation(vals.count).map { vals[$0] }
        let x = Tensor(vals, shape: [2, 2, 7, 7])
        checkGradients([x], h: 1e-2) { $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        checkGradients([randomTensor([2, 2, 7, 6], seed: 80)]) { $0[0].avgPool2d(kernel: (3, 2), stride: (2, 2), padding: (1, 1)) }
        checkGradients([randomTensor([2, 2, 7, 6], seed: 81)]) { $0[0].avgPool2d(kernel: (2, 2), padding: (1, 1), countIncludePad: false) }
        checkGradients([randomTensor([1, 3, 7, 5], seed: 82)]) { $0[0].adaptiveAvgPool2d(3, 2) }
        checkGradients([randomTensor([2, 3, 4, 5], seed: 83)]) { $0[0].pad2d(left: 2, right: 1, top: 0, bottom: 3, value: 0.5) }
        checkGradients([randomTensor([2, 3, 4, 5], seed: 84)]) { $0[0].pad2d(left: -1, right: 1, top: 1, bottom: -2) }
    }

    func testLossesAndSimilarity() {
        checkGradients([randomTensor([4, 6], seed: 90, -2, 2)]) { Tensor.crossEntropy($0[0], labels: [0, 5, 2, 2], labelSmoothing: 0.1) }
        let t = randomTensor([3, 5], seed: 91, 0, 1)
        checkGradients([randomTensor([3, 5], seed: 92, -2, 2)]) { Tensor.softTargetCrossEntropy($0[0], t) }
        checkGradients([randomTensor([3, 6], seed: 93)]) { $0[0].l2Normalized() }
        checkGradients([randomTensor([3, 6], seed: 94), randomTensor([3, 6], seed: 95)]) { Tensor.cosineSimilarity($0[0], $0[1]) }
    }

    func testFrozenInputsGetNoGradient() {
        let x = randomTensor([4, 3], seed: 100).requiringGrad()
        let w = randomTensor([5, 3], seed: 101)  // frozen
        Tensor.linear(x, w).sum().backward()
        XCTAssertNotNil(x.grad)
        XCTAssertNil(w.grad)
    }
}
