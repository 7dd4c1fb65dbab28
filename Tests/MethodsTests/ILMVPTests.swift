import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Engine
import Random
@testable import Methods

/// ILM-VP against OPTML-Group/ILM-VP (fixtures: Tests/Fixtures/methods/ilm_vp/make_ilm_vp_golden.py).
final class ILMVPTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/methods/ilm_vp")

    override func setUp() { Threads.set(1) }

    func io(_ name: String) throws -> Tensor { try Golden.tensor("ilm_vp", "io.safetensors", name) }

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent(name))) as! [String: Any]
    }

    /// The greedy frequency mapping of fixed source logits equals the official one (ties and zero counts included).
    func testFrequencyMappingEqualsOfficial() throws {
        let j = try json("mapping.json")
        let logits = (j["logits"] as! [[Double]])
        let preds = logits.map { row in row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! }
        let got = LabelMapping.frequencyMapping(predictions: preds, labels: j["labels"] as! [Int], sourceClasses: j["source_classes"] as! Int)
        XCTAssertEqual(got, j["mapping"] as! [Int])
        XCTAssertEqual(Set(got).count, got.count, "one-to-one")
    }

    func makeMethod(_ kind: ILMVP.Mapping, id: String = "ilm-vp") throws -> (ILMVP, Checkpoint) {
        let g = try json("golden.json")
        let r = ResNet(ResNetConfig(block: .basic, layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], numClasses: g["source_classes"] as! Int))
        let ck = try loadCheckpoint(Self.dir.appendingPathComponent("weights.safetensors"))
        try r.load(from: ck, strict: false)
        let m = try ILMVP(id: id, setup: MethodSetup(backbone: .resnet(r), numClasses: g["num_classes"] as! Int,
                                                     options: ["input_size": .int(8), "out_size": .int(32)], rng: RandomStream(0)), mapping: kind)
        return (m, ck)
    }

    /// Mapping over the training batches with the official prompt, logits, loss and the program gradient.
    func testParityWithOfficial() throws {
        let g = try json("golden.json")
        let (m, ck) = try makeMethod(.iterative)
        _ = try Probe.loadOfficialWeights(m, from: ck)
        let tx = try io("train_x"), ty = try io("train_y").scalars.map { Int($0) }
        var next = 0
        try m.epochWillBegin(0, trainingData: { _ in {
            guard next < 24 else { return nil }
            defer { next += 8 }
            return (tx.rows(next, next + 8), Array(ty[next..<(next + 8)]))
        } })
        XCTAssertEqual(m.mapping, g["mapping"] as! [Int])
        let r = try Probe.run(m, images: try io("images"), labels: try io("labels").scalars.map { Int($0) })
        let le = DAMVPTests.relError(r.logits.scalars, try io("logits").scalars)
        let expectedLoss = Float(g["loss"] as! Double)
        let lossErr = abs(r.loss - expectedLoss) / expectedLoss
        XCTAssertEqual(r.gradients.map(\.name), ["program"])
        let ge = DAMVPTests.relError(try r.gradients[0].floats(), try io("grad/program").scalars)
        print("ilm-vp parity: logits \(le), loss \(lossErr), grad program \(ge)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(lossErr, 1e-4)
        XCTAssertLessThan(ge, 1e-3)
        // Inside the image area the prompt has no effect: zero gradient there.
        let grad = try r.gradients[0].floats()
        XCTAssertEqual(grad[(0 * 32 + 12) * 32 + 12], 0)
    }

    /// FLM maps once in `prepare`; RLM draws an injective random map; ILM waits for the epoch hook.
    func testVariants() throws {
        let (rlm, _) = try makeMethod(.random, id: "rlm-vp")
        try rlm.prepare(trainingData: { _ in { nil } })
        XCTAssertEqual(Set(rlm.mapping!).count, 4)
        let (ilm, _) = try makeMethod(.iterative)
        try ilm.prepare(trainingData: { _ in { nil } })
        XCTAssertNil(ilm.mapping)
        XCTAssertEqual(ilm.parameterGroups(lr: 0.01, weightDecay: 0).map(\.name), ["program"])
        XCTAssertEqual(ilm.trainable.map(\.name), ["program"])
    }

    /// ResNet-18 at s = 32: 150,528 stored, 147,456 effective; s = 128: 101,376 effective.
    func testTrainableCounts() throws {
        let r = ResNet(.resnet18)
        for (s, effective) in [(32, 147_456), (128, 101_376)] {
            let m = try ILMVP(id: "ilm-vp", setup: MethodSetup(backbone: .resnet(r), numClasses: 10, options: ["input_size": .int(s)],
                                                               rng: RandomStream(0)), mapping: .iterative)
            XCTAssertEqual(m.trainableSplit.prompts, 150_528)
            XCTAssertEqual(m.trainableSplit.other, 0)
            XCTAssertEqual(m.effectiveTrainableCount, effective)
            XCTAssertEqual(Int(m.mask.scalars.reduce(0, +)), effective)
        }
    }
}

/// Every recipe of DAM-VP and ILM-VP parses and resolves its schedule.
final class DAMILMRecipeTests: XCTestCase {
    func testRecipesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("recipes")
        var n = 0
        for dir in ["hta/dam-vp", "ilm13/ilm-vp"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path) where f.hasSuffix(".yaml") {
                let r = try Recipe.load(root.appendingPathComponent(dir).appendingPathComponent(f))
                XCTAssertEqual(r.method, dir.hasSuffix("dam-vp") ? "dam-vp" : "ilm-vp")
                n += 1
            }
        }
        for f in ["mini/dam-vp.yaml", "mini/ilm-vp.yaml"] { _ = try Recipe.load(root.appendingPathComponent(f)); n += 1 }
        XCTAssertEqual(n, 10 + 12 + 2)
    }
}
