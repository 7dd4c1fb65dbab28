import XCTest
import Backbones
import Engine
import Methods
import Random

/// KMnP/vpt's full fine-tuning ("end2end") trains with the backbone's Dropout(0.1) on; the other baselines and the
/// prompt methods keep the backbone in eval mode.
final class FullFinetuneDropoutTests: XCTestCase {
    let cfg = ViTConfig(imageSize: 16, patchSize: 8, dim: 16, depth: 2, heads: 2, mlpDim: 32)

    func logits(_ id: String, training: Bool, seed: UInt64) throws -> [Float] {
        let m = try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 1)), numClasses: 3, rng: RandomStream(2)))
        var rng = RandomStream(3)
        let x = Init.normal([2, 3, 16, 16], std: 1, rng: &rng)
        var ctx = ForwardContext(training: training, rng: RandomStream(seed))
        return withoutGrad { m.logits(x, context: &ctx) }.scalars
    }

    func testFullFineTuningTrainsWithBackboneDropout() throws {
        let eval = try logits("full", training: false, seed: 0)
        let a = try logits("full", training: true, seed: 0), b = try logits("full", training: true, seed: 1)
        XCTAssertNotEqual(a, eval, "dropout acts in training")
        XCTAssertNotEqual(a, b, "masks come from the step's random stream")
        XCTAssertEqual(a, try logits("full", training: true, seed: 0), "and are reproducible")
        // Eval mode is the plain forward (the probe/golden path).
        XCTAssertEqual(eval, try logits("linear", training: false, seed: 0))
    }

    func testOtherBaselinesKeepTheBackboneInEvalMode() throws {
        for id in ["linear", "bias", "partial-1", "adapter"] {
            XCTAssertEqual(try logits(id, training: true, seed: 5), try logits(id, training: false, seed: 0), id)
        }
    }

    /// The dropout rate: about 10% of the MLP's hidden activations are zeroed (inverted dropout, kept ones ×1/0.9).
    func testDropoutRateIsTheOfficialOne() {
        var rng = RandomStream(7)
        let y = Tensor(repeating: 1, shape: [100_000]).dropout(FullFinetune.backboneDropout, rng: &rng).scalars
        let zeros = Double(y.filter { $0 == 0 }.count) / Double(y.count)
        XCTAssertEqual(zeros, 0.1, accuracy: 0.005)
        XCTAssertEqual(y.first { $0 != 0 }!, 1 / 0.9, accuracy: 1e-6)
    }
}
