import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Data
import Engine
import Random
@testable import Methods

/// `linear` and `full` on ResNets against the official ILM-VP scripts (experiments/cnn/linear_probing.py and
/// full_finetune.py, run as is up to their first optimiser step: Tests/Fixtures/methods/ilm_lp_ff/make_ilm_lp_ff_golden.py).
final class ResNetBaselineTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    static let dir = Golden.root.appendingPathComponent("ilm_lp_ff")

    func golden() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
    }

    /// The case's tiny ResNet (K source classes) and the method built on it by the registry.
    func make(_ name: String) throws -> (PromptMethod, [String: Any], Checkpoint) {
        let g = try golden()
        let c = (g["cases"] as! [String: Any])[name] as! [String: Any]
        let rc = try JSONDecoder().decode(ResNetConfig.self, from: JSONSerialization.data(withJSONObject: c["resnet"]!))
        let m = try makeMethod(name.hasPrefix("lp") ? "linear" : "full",
                               setup: MethodSetup(backbone: .resnet(ResNet(rc)), numClasses: g["num_classes"] as! Int, rng: RandomStream(0)))
        let ck = try loadCheckpoint(Self.dir.appendingPathComponent("\(name)_weights.safetensors"))
        let report = try Probe.loadOfficialWeights(m, from: ck)
        XCTAssertEqual(report.unexpected, [], "\(name): official tensors the method does not have")
        return (m, c, try loadCheckpoint(Self.dir.appendingPathComponent("\(name)_io.safetensors")))
    }

    func gradientErrors(_ m: PromptMethod, _ io: Checkpoint, _ c: [String: Any]) throws -> Float {
        XCTAssertEqual(Set(m.trainable.map(\.name)), Set(c["trainable_names"] as! [String]), "trainable tensors")
        XCTAssertEqual(m.trainable.totalCount, c["trainable"] as! Int, "trainable count ours = official")
        var worst: Float = 0
        for p in m.trainable {
            let e = try Golden.tensor(io, "grad/" + p.name).scalars
            let err = Golden.relError(try XCTUnwrap(p.grad, p.name).scalars, e)
            XCTAssertLessThan(err, 1e-3, "grad \(p.name)")
            worst = max(worst, err)
        }
        return worst
    }

    /// linear_probing.py: eval-mode frozen network, a new `fc` (5 classes), Adam on fc only. The whole step runs in eval
    /// mode, so the probe's logits and loss are the training step's.
    func testLinearProbeMatchesOfficialScript() throws {
        let (m, c, io) = try make("lp_basic")
        XCTAssert(m is ResNetLinearProbe)
        let r = try Probe.run(m, images: try Golden.tensor(io, "images"), labels: try io.tensor("labels").floats().map { Int($0) })
        let le = Golden.relError(r.logits.scalars, try Golden.tensor(io, "logits").scalars)
        let expected = Float(c["loss"] as! Double)
        let lossErr = abs(r.loss - expected) / expected
        let ge = try gradientErrors(m, io, c)
        print("linear (ResNet) parity: logits \(le), loss \(lossErr), worst grad \(ge), trainable \(m.trainable.totalCount)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(lossErr, 1e-4)
        XCTAssertEqual(r.logits.shape, [6, 5])
        // Adam over fc only, no weight decay (linear_probing.py:59).
        let groups = m.parameterGroups(lr: 0.1, weightDecay: 0)
        XCTAssertEqual(groups.flatMap(\.params).map(\.name), ["fc.weight", "fc.bias"])
    }

    /// full_finetune.py: everything trains, the 16-way pretrained fc is kept (labels are its first 5 classes), BatchNorm
    /// in training mode: batch statistics in the forward, running statistics updated (momentum 0.1, unbiased variance).
    func checkFullFinetune(_ name: String) throws {
        let (m, c, io) = try make(name)
        XCTAssert(m is ResNetFullFinetune)
        let x = try Golden.tensor(io, "images"), y = try io.tensor("labels").floats().map { Int($0) }
        var ctx = ForwardContext(training: true)
        for p in m.trainable { p.value.grad = nil }
        let logits = m.logits(x, context: &ctx)
        let loss = m.crossEntropy(logits, TrainingBatch(images: x, labels: y, epoch: 0))
        loss.backward()
        let le = Golden.relError(logits.scalars, try Golden.tensor(io, "logits").scalars)
        let expected = Float(c["loss"] as! Double)
        let lossErr = abs(loss.item - expected) / expected
        let ge = try gradientErrors(m, io, c)
        var statErr: Float = 0
        for b in try XCTUnwrap(m.backboneResNet).buffers {
            statErr = max(statErr, Golden.relError(b.value.scalars, try Golden.tensor(io, "after/" + b.name).scalars))
        }
        print("full (ResNet, \(name)) parity: logits \(le), loss \(lossErr), worst grad \(ge), running stats \(statErr), trainable \(m.trainable.totalCount)")
        XCTAssertEqual(logits.shape, [6, 16], "logits over the kept 16-way head")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(lossErr, 1e-4)
        XCTAssertLessThan(statErr, 1e-4)
        // Evaluation (network.eval()) reads the updated running statistics, not the batch's.
        var ev = ForwardContext.eval
        let evalLogits = withoutGrad { m.logits(x, context: &ev) }
        XCTAssertGreaterThan(Golden.relError(evalLogits.scalars, logits.scalars), 1e-3, "eval mode differs from train mode")
        XCTAssertFalse(try XCTUnwrap(m.backboneResNet).trainsBatchNorm, "training mode does not outlive the pass")
    }

    func testFullFinetuneMatchesOfficialScript() throws { try checkFullFinetune("ff_basic") }
    /// `--network instagram` (torch.hub ResNeXt WSL) with a grouped bottleneck.
    func testFullFinetuneBottleneckMatchesOfficialScript() throws { try checkFullFinetune("ff_bottleneck") }

    /// A resume restores the BatchNorm statistics training changed; a checkpoint without them is refused by name.
    func testFullFinetuneCheckpointsRunningStatistics() throws {
        let (m, _, _) = try make("ff_basic")
        let state = m.checkpointState()
        let resnet = try XCTUnwrap(m.backboneResNet)
        XCTAssertEqual(Set(state.keys), Set(resnet.buffers.map(\.name)))
        let saved = state.mapValues { Tensor($0.scalars, shape: $0.shape) }
        for b in resnet.buffers { b.value.assign(Tensor(repeating: 3, shape: b.shape)) }
        try m.restore(checkpointState: saved)
        for b in resnet.buffers { XCTAssertEqual(b.value.scalars, saved[b.name]!.scalars, b.name) }
        XCTAssertThrowsError(try m.restore(checkpointState: [:])) { XCTAssert("\($0)".contains("running_mean"), "\($0)") }
    }

    /// More classes than the kept head has: a clear error, not an out-of-range label later.
    func testFullFinetuneRejectsMoreClassesThanTheHead() {
        let r = ResNet(ResNetConfig(block: .basic, layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], numClasses: 4))
        XCTAssertThrowsError(try makeMethod("full", setup: MethodSetup(backbone: .resnet(r), numClasses: 5, rng: RandomStream(0)))) {
            XCTAssert("\($0)".contains("fc"), "\($0)")
        }
        XCTAssertNoThrow(try makeMethod("linear", setup: MethodSetup(backbone: .resnet(r), numClasses: 5, rng: RandomStream(0))))
    }

    /// The new fc has nn.Linear's default init: U(±1/√F) for weight and bias (not KMnP/vpt's head).
    func testLinearProbeHeadInit() throws {
        let r = ResNet(ResNetConfig(block: .basic, layers: [1, 1, 1, 1], widths: [4, 8, 8, 64], numClasses: 4))
        let m = try XCTUnwrap(try makeMethod("linear", setup: MethodSetup(backbone: .resnet(r), numClasses: 100, rng: RandomStream(3))) as? ResNetLinearProbe)
        let bound = 1 / Float(64).squareRoot()
        for p in m.fc.parameters {
            let v = p.value.scalars
            XCTAssert(v.allSatisfy { abs($0) <= bound }, p.name)
            XCTAssertGreaterThan(v.max()!, 0.8 * bound, p.name)
            XCTAssertLessThan(v.min()!, -0.8 * bound, p.name)
        }
        XCTAssertEqual(m.trainable.map(\.name), ["fc.weight", "fc.bias"])
        XCTAssertFalse(m.parameters.contains { $0 === r.fc.weight }, "the replaced ImageNet fc is not part of the model")
    }

    /// A trainer for full fine-tuning of the mini ResNet with the ilm13 recipe's shape (ilm-ff pipeline at 32 px, Adam +
    /// L2, cosine per epoch), 2 epochs on the built-in scenes task.
    func miniFullFinetune(folder: URL? = nil) throws -> (Trainer, ResNet) {
        Threads.set(2)
        let root = Golden.recipes.deletingLastPathComponent()
        var r = try Recipe.load(root.appendingPathComponent("recipes/ilm13/full/cifar10.yaml"))
        r.epochs = 2; r.batchSize = 32; r.lr = 0.001
        let model = try BackboneZoo.loadModel("resnet-mini", weights: root.appendingPathComponent("weights/resnet-mini.safetensors"))
        let p = try Pipeline.make(r.pipeline, size: 32)
        func ds(_ s: VTABSplit) -> BuiltinDataset { BuiltinDataset(task: .scenes, split: s, seed: 0, size: 32, testCount: 300) }
        let m = try makeMethod("full", setup: MethodSetup(backbone: model, numClasses: 8, options: r.options, rng: RandomStream(1)))
        XCTAssert(m is ResNetFullFinetune)
        let t = try Trainer(method: m, recipe: r, data: RunData(
            train: DataLoader(dataset: ds(.train800), pipeline: p, options: LoaderOptions(batchSize: r.batchSize, shuffle: true, train: true, seed: 1)),
            val: nil, test: DataLoader(dataset: ds(.test), pipeline: p, options: LoaderOptions(batchSize: 100, shuffle: false, train: false, seed: 1))),
            seed: 1, folder: folder)
        t.progress.quiet = true
        return (t, try XCTUnwrap(model.resnet))
    }

    /// It learns, its BatchNorm statistics move, and it never caches features.
    func testFullFinetuneTrainsTheMiniResNet() throws {
        let (t, resnet) = try miniFullFinetune()
        let before = resnet.buffers.map(\.value.scalars)
        let h = try t.run()
        XCTAssertNil(t.featureCache)
        print("full (mini ResNet, scenes, 2 epochs): losses \(h.map(\.trainLoss)), test \(h.map { $0.testAccuracy ?? -1 })")
        XCTAssertLessThan(h.last!.trainLoss, h.first!.trainLoss)
        XCTAssertGreaterThan(h.last!.testAccuracy!, 25, "learns (chance 12.5%)")
        XCTAssertNotEqual(resnet.buffers.map(\.value.scalars), before, "running statistics updated in training")
    }

    /// A run stopped after epoch 0 and resumed gives the uninterrupted run's numbers (weights, Adam state and the
    /// BatchNorm running statistics come back from the checkpoint).
    func testFullFinetuneResumeMatchesUninterrupted() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ff-resume-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: tmp) }
        let (ut, uResNet) = try miniFullFinetune(folder: tmp.appendingPathComponent("u"))
        let u = try ut.run()
        let (first, _) = try miniFullFinetune(folder: tmp.appendingPathComponent("c"))
        first.crashAfterEpoch = 0
        XCTAssertThrowsError(try first.run())
        let (again, resnet) = try miniFullFinetune(folder: tmp.appendingPathComponent("c"))
        let fresh = resnet.buffers.map(\.value.scalars)
        let resumed = try again.run()
        XCTAssertEqual(resumed.map(\.trainLoss), u.map(\.trainLoss))
        XCTAssertEqual(resumed.last?.testAccuracy, u.last?.testAccuracy)
        XCTAssertNotEqual(resnet.buffers.map(\.value.scalars), fresh, "statistics restored, then trained on")
        XCTAssertEqual(resnet.buffers.map(\.value.scalars), uResNet.buffers.map(\.value.scalars), "the uninterrupted run's statistics")
    }

    /// The official recipes' pipelines: linear probing squashes to 224 with no randomness; full fine-tuning squashes to
    /// 256, then random-crops and flips the TEST images too (one `preprocess` for both loaders), fresh each epoch.
    func testPipelines() throws {
        let lp = try Pipeline.make("ilm-lp"), ff = try Pipeline.make("ilm-ff")
        XCTAssertFalse((lp.train + lp.eval).contains(where: \.isRandom))
        XCTAssertEqual(ff.train, ff.eval)
        XCTAssertEqual(ff.eval, [.pilSquashScaled(numerator: 256, filter: .bilinear), .randomCrop, .horizontalFlip(p: 0.5)])
        XCTAssertEqual(ff.cacheablePrefix(train: false), 1)
        var pixels = [UInt8](repeating: 0, count: 300 * 200 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 7919) % 251) }
        let img = Image(width: 300, height: 200, channels: 3, pixels: pixels)
        XCTAssertEqual(ff.applyPrefix(img, train: false, count: 1).width, 256)
        XCTAssertEqual(ff.applyPrefix(img, train: false, count: 1).height, 256)
        var a = RandomStream(1, 0, 5), b = RandomStream(1, 1, 5)
        let e0 = ff.apply(img, train: false, rng: &a), e1 = ff.apply(img, train: false, rng: &b)
        XCTAssertEqual(e0.height, 224)
        XCTAssertNotEqual(e0.values, e1.values, "another epoch's draw crops another test view")
    }
}
