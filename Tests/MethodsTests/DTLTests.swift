import XCTest
import Backbones
@testable import Bench
import Data
import Engine
import Methods
import Random

/// DTL against heekhero/DTL's own model (Tests/Fixtures/methods/dtl/make_dtl_golden.py).
final class DTLTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func make(_ options: MethodOptions = [:], vit: ViTConfig = Golden.tinyViT, classes: Int = 5) throws -> DTL {
        try makeMethod("dtl", setup: MethodSetup(backbone: .vit(ViT(vit, seed: 7)), numClasses: classes, options: options,
                                                 rng: RandomStream(3))) as! DTL
    }

    func meta() throws -> [String: Any] {
        let url = Golden.root.appendingPathComponent("dtl").appendingPathComponent("meta.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func officialCount(_ key: String) throws -> Int {
        ((try meta()[key] as! [String: Any])["trainable"] as! NSNumber).intValue
    }

    func testParityBeta100() throws {
        let m = try make(["r": .int(2), "beta": .double(100), "lora_before_blocks": .string("0-2"), "add_after_blocks": .string("1-2")])
        try Golden.check(m, dir: "dtl", weights: "dtl.safetensors", io: "dtl_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, try officialCount("dtl"))
    }

    func testParityBeta1PartialBlocks() throws {
        let m = try make(["beta": .double(1), "lora_before_blocks": .string("1-2"), "add_after_blocks": .string("2")])
        try Golden.check(m, dir: "dtl", weights: "dtl_beta1.safetensors", io: "dtl_beta1_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, try officialCount("dtl_beta1"))
    }

    /// The table's 0.04 M: 12 × 2 × 768 × 2 CSN weights on ViT-B/16 with the scripts' settings (defaults), as the
    /// official model counts them (meta.json `vit_b16_backbone_trainable`), plus the head.
    func testViTBCountMatchesOfficial() throws {
        let b16 = ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 8)
        let m = try make(vit: b16)
        XCTAssertEqual(m.trainableSplit.other, 36_864)
        XCTAssertEqual(m.trainableSplit.other, (try meta()["vit_b16_backbone_trainable"] as! NSNumber).intValue)
        XCTAssertEqual(m.trainableSplit.head, 768 * 5 + 5)
    }

    /// Official init: lora_B = 0, so the CSN adds swish(0) = 0 and the features are the frozen backbone's mean-pooled,
    /// normed patch tokens; the weight-decay groups follow the '.bias' rule recorded in meta.json.
    func testInitIsIdentityAndGroupsFollowTheBiasRule() throws {
        let m = try make(["lora_before_blocks": .string("0-2"), "add_after_blocks": .string("1-2")])
        XCTAssertTrue(m.loraB.allSatisfy { $0.value.scalars.allSatisfy { $0 == 0 } })
        XCTAssertTrue(m.loraA.allSatisfy { $0.value.scalars.contains { $0 != 0 } })
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { Float(($0 * 37) % 101) / 50 - 1 }, shape: [2, 3, 32, 32])
        var c = ForwardContext.eval
        let t = m.vit.encode(m.vit.embed(x), context: &c)
        let plain = m.vit.norm(t.slice(axis: 1, 1, t.shape[1]).mean(axis: 1))
        var c2 = ForwardContext.eval
        XCTAssertLessThan(Golden.relError(m.features(x, context: &c2).scalars, plain.scalars), 1e-6)
        let groups = m.parameterGroups(lr: 1, weightDecay: 0.05)
        let entry = try meta()["dtl"] as! [String: Any]
        let decayed = Set(groups.filter { $0.weightDecay > 0 }.flatMap { $0.params.map(\.name) })
        let undecayed = Set(groups.filter { $0.weightDecay == 0 }.flatMap { $0.params.map(\.name) })
        XCTAssertEqual(decayed, Set(entry["decay"] as! [String]))
        XCTAssertEqual(undecayed, Set(entry["no_decay"] as! [String]))
    }

    func testBadOptionsNameTheProblem() {
        XCTAssertThrowsError(try make(["fusion_size": .int(3)])) { XCTAssertTrue("\($0)".contains("DTL+"), "\($0)") }
        XCTAssertThrowsError(try make(["lora_before_blocks": .string("0-12")])) { XCTAssertTrue("\($0)".contains("lora_before_blocks"), "\($0)") }
        XCTAssertThrowsError(try make(["lora_before_blocks": .string("2"), "add_after_blocks": .string("0-2")])) {
            XCTAssertTrue("\($0)".contains("starts before"), "\($0)")
        }
        XCTAssertThrowsError(try make(["rank": .int(4)])) { XCTAssertTrue("\($0)".contains("rank"), "\($0)") }
    }
}
