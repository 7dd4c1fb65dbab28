import XCTest
import Backbones
import Bench
import Checkpoints
import Engine
import Methods
import Random

/// MLP-k and Partial-k against KMnP/vpt's own model classes (Tests/Fixtures/methods/mlp_partial/make_mlp_partial_golden.py):
/// same weights in official names → same logits, loss, trainable set and gradients, and the official trainable count.
final class MLPPartialParityTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    static let depth5 = ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 5, heads: 4, mlpDim: 64)

    func make(_ id: String, _ config: ViTConfig = Golden.tinyViT, _ options: MethodOptions = [:]) throws -> PromptMethod {
        try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(config, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
    }

    /// The official `sum(p.numel() for p in model.parameters() if p.requires_grad)` from meta.json.
    func officialCount(_ c: String) throws -> Int {
        let url = Golden.root.appendingPathComponent("mlp_partial/meta.json")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return ((meta["cases"] as! [String: Any])[c] as! [String: Any])["trainable_count"] as! Int
    }

    func check(_ m: PromptMethod, weights: String, case c: String) throws {
        try Golden.check(m, dir: "mlp_partial", weights: weights, io: "\(c)_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), try officialCount(c), "\(c): trainable count")
    }

    func testMLP3() throws { try check(try make("mlp-3"), weights: "mlp3.safetensors", case: "mlp3") }

    /// The head in train mode (batch statistics), dropout 0 on both sides: logits, loss, gradients and the running
    /// statistics after the step (against the official model run in float64 on a batch of 16).
    func testMLP3TrainingMode() throws {
        let m = try XCTUnwrap(try make("mlp-3") as? MLPProbe)
        let ck = try loadCheckpoint(Golden.root.appendingPathComponent("mlp_partial/mlp3.safetensors"))
        _ = try Probe.loadOfficialWeights(m, from: ck)
        m.dropout = 0
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("mlp_partial/mlp3_train_io.safetensors"))
        let x = try Golden.tensor(g, "x")
        let labels = try g.tensor("labels").floats().map { Int($0) }
        var ctx = ForwardContext(training: true, rng: RandomStream(1))
        let logits = m.logits(x, context: &ctx)
        let loss = Tensor.crossEntropy(logits, labels: labels)
        let le = Golden.relError(logits.scalars, try Golden.tensor(g, "logits").scalars)
        XCTAssertLessThan(le, 1e-4, "logits")
        let expectedLoss = try g.tensor("loss").floats()[0]
        let lossErr = abs(loss.item - expectedLoss) / expectedLoss
        XCTAssertLessThan(lossErr, 1e-4, "loss")
        loss.backward()
        var worst: Float = 0
        for p in m.trainable {
            let e = try g.tensor("grad/" + p.name).floats()
            let err = Golden.relError(p.grad?.scalars ?? [], e)
            XCTAssertLessThan(err, 1e-3, p.name)
            worst = max(worst, err)
        }
        XCTAssertEqual(Set(m.trainable.map(\.name)), Set(g.names.filter { $0.hasPrefix("grad/") }.map { String($0.dropFirst(5)) }))
        for (name, t) in m.checkpointState() {
            XCTAssertLessThan(Golden.relError(t.scalars, try g.tensor("running/" + name).floats()), 1e-5, name)
        }
        print("parity mlp-3 [train mode]: logits \(le), loss \(lossErr), worst grad \(worst)")
    }

    func testPartial2() throws { try check(try make("partial-2", Self.depth5), weights: "depth5.safetensors", case: "partial2") }
    func testPartial4() throws { try check(try make("partial-4", Self.depth5), weights: "depth5.safetensors", case: "partial4") }
    func testMoCoPartial2() throws {
        try check(try make("partial-2", Self.depth5, ["FEATURE": .string("mocov3_vitb")]), weights: "moco_depth5.safetensors", case: "moco_partial2")
    }

    /// The MoCo v3 rule leaves the final norm frozen (the official `k != "norm"` never holds); FIXED_NORM trains it.
    func testMoCoFixedNormTrainsTheFinalNorm() throws {
        let official = try make("partial-2", Self.depth5, ["FEATURE": .string("mocov3_vitb")])
        let fixed = try make("partial-2", Self.depth5, ["FEATURE": .string("mocov3_vitb"), "FIXED_NORM": .bool(true)])
        let a = Set(official.trainable.map(\.name)), b = Set(fixed.trainable.map(\.name))
        XCTAssertEqual(b.subtracting(a), ["norm.weight", "norm.bias"])
        XCTAssertThrowsError(try make("partial-2", Self.depth5, ["FEATURE": .string("mae_vitb16")]))
        XCTAssertThrowsError(try make("partial-2", Self.depth5, ["FIXED_NORM": .bool(true)]))
    }

    /// ViT-B/16 counts (VPT paper Table 1's tuned-parameter rows): partial-k trains k blocks + the final norm + head;
    /// MLP-3 trains 2 × (D² + D + 2D) + the head. MLP_NUM is general: 0 is the linear probe's head.
    func testViTB16Counts() throws {
        let cfg = ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072)
        func split(_ id: String, _ o: MethodOptions = [:]) throws -> (prompts: Int, head: Int, other: Int, model: Int) {
            try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 0)), numClasses: 10, options: o, rng: RandomStream(0))).trainableSplit
        }
        let block = 2 * 2 * 768 + 4 * (768 * 768 + 768) + 2 * (768 * 3072) + 3072 + 768
        for k in [1, 2, 4] { XCTAssertEqual(try split("partial-\(k)").other, k * block + 2 * 768, "partial-\(k)") }
        let mlp = try split("mlp-3")
        XCTAssertEqual(mlp.head, 2 * (768 * 768 + 768 + 2 * 768) + 769 * 10)
        XCTAssertEqual(mlp.other, 0)
        XCTAssertEqual(try split("mlp-3", ["MLP_NUM": .int(0)]).head, 769 * 10)
        XCTAssertThrowsError(try split("mlp-3", ["MLP_NUM": .int(-1)]))
    }

    /// A wrong freezing rule is caught: partial-4's golden compared with partial-2 fails on the trainable set.
    func testParityCanFail() throws {
        let m = try make("partial-2", Self.depth5)
        XCTAssertNotEqual(Set(try Golden.check_names(dir: "mlp_partial", io: "partial4_io.safetensors")), Set(Probe.officialGradients(m).map(\.name)))
    }
}
