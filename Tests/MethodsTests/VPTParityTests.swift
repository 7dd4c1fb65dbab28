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
