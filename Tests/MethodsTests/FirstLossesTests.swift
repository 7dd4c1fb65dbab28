import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Engine
import Foundation
import Methods
import Random

/// The first 5 training losses of VPT (shallow, deep), E2VPT and DA-VPT against the official training code on the
/// same weights and batches. The golden scripts (Tests/Fixtures/methods/{vpt,e2vpt,da_vpt}/make_*_golden.py, section
/// "First 5 training losses") run the official optimiser construction, lr schedule and training step; here the same
/// steps go through our Optimizer, Schedule (as the recipe resolves it) and `method.loss`.
final class FirstLossesTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    static func json(_ dir: String, _ file: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Golden.root.appendingPathComponent(dir).appendingPathComponent(file))) as! [String: Any]
    }

    /// Replays `steps` updates: per step the schedule's lr, then loss, zero-grad, backward, optional clipping, step.
    /// Returns our losses and the learning rates the first group had.
    static func replay(_ m: PromptMethod, dir: String, optimizer: OptimizerConfig, lr: Double, weightDecay: Double,
                       schedule spec: ScheduleSpec, epochs: Int, itersPerEpoch: Int, steps: Int, clipValue: Float? = nil,
                       training: Bool = false) throws -> (losses: [Float], lrs: [Double]) {
        let (schedule, perStep) = try spec.resolve(epochs: epochs, itersPerEpoch: itersPerEpoch)
        let opt = Optimizer(optimizer, groups: m.parameterGroups(lr: Float(lr), weightDecay: Float(weightDecay)))
        let batches = try loadCheckpoint(Golden.root.appendingPathComponent(dir).appendingPathComponent("train_batches.safetensors"))
        let xs = try Golden.tensor(batches, "x"), ys = try Golden.tensor(batches, "y")
        let b = xs.shape[1], per = xs.shape[1...].reduce(1, *)
        var losses: [Float] = [], lrs: [Double] = []
        for step in 0..<steps {
            opt.apply(schedule, at: perStep ? step : step / itersPerEpoch)
            lrs.append(Double(opt.groups[0].lr))
            let x = Tensor(Array(xs.scalars[(step * per)..<((step + 1) * per)]), shape: Array(xs.shape[1...]))
            let y = ys.scalars[(step * b)..<((step + 1) * b)].map { Int($0) }
            // Dropout / drop-path off on both sides (the golden runs model.eval() or rates of 0).
            var ctx = training ? ForwardContext(training: true, rng: RandomStream(0)) : ForwardContext.eval
            let loss = m.loss(TrainingBatch(images: x, labels: y, epoch: step / itersPerEpoch), context: &ctx)
            losses.append(loss.item)
            opt.zeroGrad()
            loss.backward()
            if let v = clipValue { GradClip.byValue(opt.parameters, v) }
            opt.step()
        }
        return (losses, lrs)
    }

    /// Max relative error over the steps, asserting each is within 1e-3.
    @discardableResult
    static func compare(_ ours: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(ours.count, expected.count, file: file, line: line)
        var worst: Float = 0
        for (a, e) in zip(ours, expected) {
            let rel = abs(a - e) / max(abs(e), 1e-6)
            worst = max(worst, rel)
            XCTAssertLessThan(rel, 1e-3, "\(label): loss \(a) vs official \(e)", file: file, line: line)
        }
        print("\(label) first losses \(ours) vs official \(expected): max relative error \(worst)")
        return worst
    }

    // MARK: - VPT / E2VPT (KMnP/vpt Trainer: SGD per-tensor groups, WarmupCosineSchedule per epoch)

    func vptFamily(_ id: String, options: MethodOptions, dir: String, weights: String, goldenCase: String) throws {
        let m = try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(Golden.tinyViT, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
        let report = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent(dir).appendingPathComponent(weights)))
        XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty, "\(report.missing) \(report.unexpected)")
        let meta = try Self.json(dir, "meta.json")
        let f = meta["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        let c = (f["cases"] as! [String: Any])[goldenCase] as! [String: Any]
        let expected = (c["losses"] as! [NSNumber]).map(\.floatValue)
        let r = try Self.replay(m, dir: dir, optimizer: OptimizerConfig(kind: .sgd, momentum: Float(num("momentum"))),
                                lr: num("base_lr"), weightDecay: num("weight_decay"),
                                schedule: ScheduleSpec(kind: "warmup-cosine-epoch", warmupEpochs: Int(num("warmup_epoch"))),
                                epochs: Int(num("total_epoch")), itersPerEpoch: Int(num("iters_per_epoch")), steps: expected.count)
        for (a, e) in zip(r.lrs, (c["lrs"] as! [NSNumber]).map(\.doubleValue)) { XCTAssertEqual(a, e, accuracy: 1e-7, "lr") }
        Self.compare(r.losses, expected, "\(id) [\(goldenCase)]")
    }

    func testVPTShallow() throws {
        try vptFamily("vpt-shallow", options: ["NUM_TOKENS": .int(3), "DROPOUT": .double(0.1)], dir: "vpt", weights: "vpt_shallow.safetensors", goldenCase: "vpt_shallow")
    }

    func testVPTDeep() throws {
        try vptFamily("vpt-deep", options: ["NUM_TOKENS": .int(3), "DEEP": .bool(true), "DROPOUT": .double(0.1)], dir: "vpt", weights: "vpt_deep.safetensors", goldenCase: "vpt_deep")
    }

    func testE2VPTNoMask() throws {
        try vptFamily("e2vpt", options: ["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "MASK_CLS_TOKEN": .bool(false), "DROPOUT_P": .double(0.1)],
                      dir: "e2vpt", weights: "e2vpt_nomask.safetensors", goldenCase: "e2vpt_nomask")
    }

    func testE2VPTTrainableMasks() throws {
        try vptFamily("e2vpt", options: ["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "DROPOUT_P": .double(0.1)],
                      dir: "e2vpt", weights: "e2vpt_mask.safetensors", goldenCase: "e2vpt_mask")
    }

    /// The comparison can fail: VPT-deep's golden losses replayed with VPT-shallow differ beyond tolerance.
    func testWrongMethodDoesNotMatch() throws {
        let m = try makeMethod("vpt-deep", setup: MethodSetup(backbone: .vit(ViT(Golden.tinyViT, seed: 7)), numClasses: 5,
                                                             options: ["NUM_TOKENS": .int(3), "DEEP": .bool(true)], rng: RandomStream(3)))
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("vpt/vpt_deep.safetensors")))
        let f = try Self.json("vpt", "meta.json")["first_losses"] as! [String: Any]
        let expected = (((f["cases"] as! [String: Any])["vpt_deep"] as! [String: Any])["losses"] as! [NSNumber]).map(\.floatValue)
        // Same weights and batches but no momentum: the losses after the first update must drift away.
        let r = try Self.replay(m, dir: "vpt", optimizer: OptimizerConfig(kind: .sgd, momentum: 0), lr: 0.1, weightDecay: 1e-3,
                                schedule: ScheduleSpec(kind: "warmup-cosine-epoch", warmupEpochs: 1), epochs: 4, itersPerEpoch: 2, steps: 5)
        XCTAssertEqual(r.losses[0], expected[0], accuracy: 1e-4 * abs(expected[0]))
        XCTAssertGreaterThan(abs(r.losses[4] - expected[4]) / abs(expected[4]), 1e-3)
    }

    // MARK: - DA-VPT (official train_one_epoch: CE + proxy-anchor terms, AdamW groups, clip 10, timm cosine per update)

    func testDAVPT() throws {
        let meta = try Self.json("da_vpt", "golden.json")
        let f = meta["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        var opts = DAVPTTests.goldenOptions
        opts["wd_head"] = .double(num("wd_head"))
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
        // The golden's learnable list is the ViT-B configs' efficient-bias set: a DA-VPT+ run (registry id da-vpt-plus).
        let m = try makeMethod("da-vpt-plus", setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: opts, rng: RandomStream(5))) as! DAVPT
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("da_vpt/weights.safetensors")))
        m.setMapping(meta["mapping"] as! [Int])
        let expected = (f["losses"] as! [NSNumber]).map(\.floatValue)
        let r = try Self.replay(m, dir: "da_vpt", optimizer: OptimizerConfig(kind: .adamw), lr: num("lr"), weightDecay: num("weight_decay"),
                                schedule: ScheduleSpec(kind: "timm-cosine", warmupEpochs: Int(num("warmup_epochs")), minLR: num("min_lr"),
                                                       warmupLRInit: num("warmup_lr_init")),
                                epochs: Int(num("epochs")), itersPerEpoch: Int(num("iters_per_epoch")), steps: expected.count,
                                clipValue: Float(num("clip_value")), training: true)
        for (a, e) in zip(r.lrs, (f["lrs"] as! [NSNumber]).map(\.doubleValue)) { XCTAssertEqual(a, e, accuracy: 1e-9, "lr") }
        Self.compare(r.losses, expected, "da-vpt-plus")
    }
}
