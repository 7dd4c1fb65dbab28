import XCTest
@testable import Engine

/// Ops, optimisers and schedules against PyTorch's values (fixtures made by make_engine_fixtures.py).
final class GoldenTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// Runs `f` on the case's inputs (those named in `grads` as trainable), backprops Σ y ⊙ r and
    /// compares y and the gradients.
    func check(_ name: String, grads: [String: String], rtol: Float = 1e-5, atol: Float = 1e-5,
               _ f: ([String: Tensor]) -> Tensor, file: StaticString = #filePath, line: UInt = #line) {
        let c = Golden.case(name)
        let inputs = c.inputs.mapValues { $0.detached() }
        for k in grads.keys { inputs[k]!.requiringGrad() }
        let y = f(inputs)
        assertClose(y, c.outputs["y"]!, rtol: rtol, atol: atol, "\(name) y", file: file, line: line)
        (y * inputs["r"]!).sum().backward()
        for (input, output) in grads {
            assertClose(inputs[input]!.grad!, c.outputs[output]!, rtol: rtol, atol: atol, "\(name) \(output)", file: file, line: line)
        }
    }

    func testGELU() { check("gelu", grads: ["x": "dx"]) { $0["x"]!.gelu() } }

    /// The vectorisable erf behind GELU stays within 4e-7 (≈ 3 ulp of 1) of glibc's erff over a dense grid and the tails.
    func testFastErfMatchesErff() {
        var worst: Float = 0
        var x: Float = -8
        while x <= 8 { worst = max(worst, abs(fastErf(x) - erff(x))); x += 1.0 / 4096 }
        for v: Float in [0, -0, 1e-30, -1e-30, 1e-8, 100, -100, .infinity, -.infinity] { worst = max(worst, abs(fastErf(v) - erff(v))) }
        XCTAssertLessThan(worst, 4e-7)  // ≈ 3 ulp of 1.0; max seen 3.6e-7
        XCTAssertEqual(fastErf(0), 0)
    }

    func testLayerNorm() {
        check("layernorm", grads: ["x": "dx", "w": "dw", "b": "db"], atol: 3e-5) {
            $0["x"]!.layerNorm(weight: $0["w"]!, bias: $0["b"]!, eps: 1e-6)
        }
    }

    func testSoftmax() { check("softmax", grads: ["x": "dx"]) { $0["x"]!.softmax() } }

    func testAttentionWithMask() {
        check("attention", grads: ["q": "dq", "k": "dk", "v": "dv"], atol: 2e-5) {
            Tensor.attention($0["q"]!, $0["k"]!, $0["v"]!, mask: $0["mask"]!)
        }
    }

    func testConv2dStride2Groups2() {
        check("conv2d_s2_g2", grads: ["x": "dx", "w": "dw", "b": "db"], atol: 3e-5) {
            $0["x"]!.conv2d(weight: $0["w"]!, bias: $0["b"]!, stride: (2, 2), padding: (1, 1), groups: 2)
        }
    }

    func testConv2dDepthwiseDilated() {
        check("conv2d_depthwise_dil2", grads: ["x": "dx", "w": "dw"], atol: 3e-5) {
            $0["x"]!.conv2d(weight: $0["w"]!, padding: (1, 1), dilation: (2, 2), groups: 3)
        }
    }

    func testBatchNormTrainUpdatesRunningStats() {
        let c = Golden.case("batchnorm_train")
        let rm = c.inputs["running_mean"]!.detached(), rv = c.inputs["running_var"]!.detached()
        check("batchnorm_train", grads: ["x": "dx", "w": "dw", "b": "db"], atol: 5e-5) {
            $0["x"]!.batchNorm2d(weight: $0["w"]!, bias: $0["b"]!, runningMean: rm, runningVar: rv, training: true)
        }
        assertClose(rm, c.outputs["running_mean"]!, "running_mean")
        assertClose(rv, c.outputs["running_var"]!, "running_var")
    }

    func testBatchNormEval() {
        let c = Golden.case("batchnorm_eval")
        check("batchnorm_eval", grads: ["x": "dx", "w": "dw", "b": "db"], atol: 5e-5) {
            $0["x"]!.batchNorm2d(weight: $0["w"]!, bias: $0["b"]!, runningMean: c.inputs["running_mean"]!.detached(),
                                 runningVar: c.inputs["running_var"]!.detached(), training: false)
        }
    }

    func testCrossEntropyLabelSmoothing() {
        let c = Golden.case("cross_entropy_ls")
        let x = c.inputs["x"]!.detached().requiringGrad()
        let loss = Tensor.crossEntropy(x, labels: c.inputs["labels"]!.scalars.map { Int($0) }, labelSmoothing: 0.1)
        assertClose(loss, c.outputs["loss"]!, "loss")
        loss.backward()
        assertClose(x.grad!, c.outputs["dx"]!, "dx")
    }

    func testSoftTargetCrossEntropy() {
        let c = Golden.case("cross_entropy_soft")
        let x = c.inputs["x"]!.detached().requiringGrad()
        let loss = Tensor.softTargetCrossEntropy(x, c.inputs["targets"]!)
        assertClose(loss, c.outputs["loss"]!, "loss")
        loss.backward()
        assertClose(x.grad!, c.outputs["dx"]!, "dx")
    }

    func runOptimizer(_ name: String, _ config: OptimizerConfig, lr: Float, wd: Float) {
        let c = Golden.case(name)
        let p = Parameter("p", c.inputs["p"]!.detached(), trainable: true)
        let opt = Optimizer(config, groups: [ParamGroup(params: [p], lr: lr, weightDecay: wd)])
        for g in ["g1", "g2"] {
            p.value.grad = c.inputs[g]!.detached()
            opt.step()
        }
        assertClose(p.value, c.outputs["p"]!, rtol: 1e-6, atol: 1e-6, name)
    }

    func testSGDMomentumTwoSteps() { runOptimizer("sgd_two_steps", OptimizerConfig(kind: .sgd, momentum: 0.9), lr: 0.1, wd: 1e-3) }
    func testAdamWTwoSteps() { runOptimizer("adamw_two_steps", OptimizerConfig(kind: .adamw), lr: 0.01, wd: 0.05) }
    func testAdamTwoSteps() { runOptimizer("adam_two_steps", OptimizerConfig(kind: .adam), lr: 0.01, wd: 0.01) }

    func assertSchedule(_ key: String, _ s: Schedule, base: Double, file: StaticString = #filePath, line: UInt = #line) {
        let expected = Golden.shared.schedules[key]!
        for (t, e) in expected.enumerated() {
            XCTAssertEqual(s.lr(at: t, base: base), e, accuracy: 1e-12 + 1e-9 * abs(e), "\(key) at \(t)", file: file, line: line)
        }
    }

    func testSchedulesMatchTorchAndTimm() {
        assertSchedule("warmupCosineEpoch", .warmupCosineEpoch(warmupEpochs: 10, totalEpochs: 100), base: 0.25)
        assertSchedule("linspaceWarmupCosine", .linspaceWarmupCosine(warmupSteps: 8, totalSteps: 20, minLR: 1e-7, startLR: 0), base: 1e-3)
        assertSchedule("timmCosine", .timmCosine(tInitial: 20, warmupT: 5, warmupLRInit: 1e-8, lrMin: 1e-6), base: 5e-3)
        assertSchedule("multiStep", .multiStep(milestones: [100, 145], gamma: 0.1), base: 0.01)
        XCTAssertEqual(Schedule.warmupCosineEpoch(warmupEpochs: 10, totalEpochs: 100).lr(at: 0, base: 1), 0, "VPT trains epoch 0 at lr 0")
    }
}
