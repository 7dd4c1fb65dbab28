import XCTest
import Backbones
import Data
import Engine
import Methods
import Random
@testable import Bench

/// Records what the trainer hands to the method (a linear probe otherwise).
final class SpyMethod: PromptMethod {
    let inner: BackboneWithHead
    var seen: [(count: Int, targets: Tensor?)] = []
    init(setup: MethodSetup) throws { inner = try BackboneWithHead(id: "spy", setup: setup) { _ in false } }
    var id: String { "spy" }
    var parameters: [Parameter] { inner.parameters }
    func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor { inner.logits(images, context: &context) }
    func loss(_ batch: TrainingBatch, context: inout ForwardContext) -> Tensor {
        seen.append((batch.labels.count, batch.targets))
        return crossEntropy(logits(batch.images, context: &context), batch)
    }
    func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] { inner.parameterGroups(lr: lr, weightDecay: weightDecay) }
    func role(of p: Parameter) -> ParameterRole { inner.role(of: p) }
    var officialBackbone: (naming: ViTNaming, prefix: String) { inner.officialBackbone }
    var backboneViT: ViT? { inner.backboneViT }
}

final class TrainerMixupTests: XCTestCase {
    func recipe(mix: Bool, batch: Int) -> Recipe {
        Recipe(method: "spy", optimizer: OptimizerSpec(kind: .adamw), lr: 1e-3, weightDecay: 0,
               schedule: ScheduleSpec(kind: "constant"), epochs: 1, batchSize: batch, labelSmoothing: mix ? 0.1 : nil,
               officialSelection: .lastEpochTest, cleanSelection: .lastEpochTest, pipeline: "builtin",
               mixup: mix ? 0.8 : nil, cutmix: mix ? 1.0 : nil, mixProb: mix ? 0.5 : nil, switchProb: mix ? 0.5 : nil)
    }

    func run(_ r: Recipe) throws -> SpyMethod {
        Threads.set(1)
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpDim: 32))
        let m = try SpyMethod(setup: MethodSetup(backbone: .vit(vit), numClasses: 8, rng: RandomStream(0)))
        _ = try trainBuiltin(m, recipe: r, task: .scenes, trainImages: 23, testImages: 10)
        return m
    }

    func testMixupGivesSoftTargetsAndEvenBatches() throws {
        let m = try run(recipe(mix: true, batch: 7))
        XCTAssertEqual(m.seen.map(\.count), [6, 6, 6, 2], "odd batches (7, 7, 7, 2) lose their last sample")
        for s in m.seen {
            let t = try XCTUnwrap(s.targets)
            XCTAssertEqual(t.shape, [s.count, 8])
            for i in 0..<s.count { XCTAssertEqual(t.scalars[(i * 8)..<((i + 1) * 8)].reduce(0, +), 1, accuracy: 1e-5) }
            XCTAssertGreaterThanOrEqual(t.scalars.min()!, 0.1 / 8 - 1e-6, "label smoothing 0.1 → at least s/C everywhere")
        }
        let plain = try run(recipe(mix: false, batch: 7))
        XCTAssertEqual(plain.seen.map(\.count), [7, 7, 7, 2])
        XCTAssertTrue(plain.seen.allSatisfy { $0.targets == nil })
    }
}
