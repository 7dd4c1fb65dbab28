import XCTest
import Backbones
import Bench
import Checkpoints
import Engine
import Methods
import Random

/// VPT and the VPT paper's baselines against KMnP/vpt's own model (Tests/Fixtures/methods/vpt/make_vpt_golden.py):
/// same weights in official names → same logits, loss, trainable set (TRANSFER_TYPE rules) and gradients.
final class VPTParityTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func make(_ id: String, _ options: MethodOptions = [:]) throws -> PromptMethod {
        try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(Golden.tinyViT, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
    }

    func testVPTShallow() throws {
        try Golden.check(try make("vpt-shallow", ["NUM_TOKENS": .int(3), "DROPOUT": .double(0.1)]), dir: "vpt", weights: "vpt_shallow.safetensors", io: "vpt_shallow_io.safetensors")
    }
    func testVPTDeep() throws {
        try Golden.check(try make("vpt-deep", ["NUM_TOKENS": .int(3), "DROPOUT": .double(0.1)]), dir: "vpt", weights: "vpt_deep.safetensors", io: "vpt_deep_io.safetensors")
    }
    func testLinear() throws { try Golden.check(try make("linear"), dir: "vpt", weights: "baseline.safetensors", io: "linear_io.safetensors") }
    func testFull() throws { try Golden.check(try make("full"), dir: "vpt", weights: "baseline.safetensors", io: "full_io.safetensors") }
    func testBias() throws { try Golden.check(try make("bias"), dir: "vpt", weights: "baseline.safetensors", io: "bias_io.safetensors") }
    func testPartial1() throws { try Golden.check(try make("partial-1"), dir: "vpt", weights: "baseline.safetensors", io: "partial1_io.safetensors") }

    func testAdapter() throws { try Golden.check(try make("adapter"), dir: "vpt", weights: "adapter.safetensors", io: "adapter_io.safetensors") }

    /// The official zero init (both projections and biases 0): logits equal the plain backbone + head, and only
    /// `adapter_upsample.bias` gets a gradient — the official baseline is effectively a learned per-block bias.
    func testAdapterZeroInitOnlyTrainsUpsampleBias() throws {
        let vit = ViT(Golden.tinyViT, seed: 7)
        let a = try makeMethod("adapter", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, rng: RandomStream(3)))
        let lin = try makeMethod("linear", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, rng: RandomStream(3)))
        var r = RandomStream(9)
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { _ in r.normal() }, shape: [2, 3, 32, 32])
        var c1 = ForwardContext.eval, c2 = ForwardContext.eval
        XCTAssertEqual(a.logits(x, context: &c1).scalars, lin.logits(x, context: &c2).scalars)
        var ctx = ForwardContext.eval
        a.loss(TrainingBatch(images: x, labels: [1, 4], epoch: 0), context: &ctx).backward()
        let adapterParams = a.trainable.filter { $0.name.contains("adapter") }
        XCTAssertEqual(adapterParams.count, 4 * Golden.tinyViT.depth)
        for p in adapterParams {
            let nonzero = p.grad?.scalars.contains { $0 != 0 } ?? false
            XCTAssertEqual(nonzero, p.name.hasSuffix("adapter_upsample.bias"), p.name)
        }
        // ViT-B/16 count: 12 · (768·96 + 96 + 96·768 + 768) + head.
        let split = try makeMethod("adapter", setup: MethodSetup(backbone: .vit(ViT(ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 8), seed: 0)),
                                                                  numClasses: 10, rng: RandomStream(0))).trainableSplit
        XCTAssertEqual(split.other, 12 * (768 * 96 + 96 + 96 * 768 + 768))
        XCTAssertEqual(split.head, 769 * 10)
    }

    /// A wrong freezing rule must be caught: VPT-deep's golden compared with VPT-shallow fails on the trainable set.
    func testParityCanFail() throws {
        let m = try make("vpt-shallow", ["NUM_TOKENS": .int(3)])
        let g = Set(try Golden.check_names(dir: "vpt", io: "vpt_deep_io.safetensors"))
        let ours = Set(Probe.officialGradients(m).map(\.name))
        XCTAssertNotEqual(g, ours)
    }
}

extension Golden {
    static func check_names(dir: String, io: String) throws -> [String] {
        let g = try loadCheckpoint(root.appendingPathComponent(dir).appendingPathComponent(io))
        return g.names.filter { $0.hasPrefix("grad/") }.map { String($0.dropFirst(5)) }
    }
}
