import XCTest
import Backbones
@testable import Bench
import Data
import Engine
import Methods
import Random

/// NOAH subnet retraining against the official supernet with a fixed subnet (Tests/Fixtures/methods/noah/make_noah_golden.py).
final class NOAHTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// The golden's subnet (meta.json "subnet"): per block prompts [3, 5, 2], LoRA [4, 0, 2], adapter [2, 5, 0].
    static let goldenOptions: MethodOptions = [
        "VISUAL_PROMPT_DIM": .list([.int(3), .int(5), .int(2)]), "LORA_DIM": .list([.int(4), .int(0), .int(2)]),
        "ADAPTER_DIM": .list([.int(2), .int(5), .int(0)]), "PREFIX_DIM": .list([.int(0), .int(0), .int(0)]),
        "SUPERNET_VISUAL_PROMPT_DIM": .int(6), "SUPERNET_ADAPTER_DIM": .int(6),
    ]

    func make(_ options: MethodOptions, vit: ViTConfig = Golden.tinyViT) throws -> NOAH {
        try makeMethod("noah", setup: MethodSetup(backbone: .vit(ViT(vit, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3))) as! NOAH
    }

    func meta() throws -> [String: Any] {
        let url = Golden.root.appendingPathComponent("noah/meta.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func testParityWithTheOfficialSupernet() throws {
        let m = try make(Self.goldenOptions)
        try Golden.check(m, dir: "noah", weights: "noah.safetensors", io: "noah_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, (try meta()["trainable"] as! NSNumber).intValue)
        // The golden was made with this subnet.
        let subnet = try meta()["subnet"] as! [String: [Int]]
        XCTAssertEqual(subnet["visual_prompt_dim"], m.config.VISUAL_PROMPT_DIM)
        XCTAssertEqual(subnet["lora_dim"], m.config.LORA_DIM)
        XCTAssertEqual(subnet["adapter_dim"], m.config.ADAPTER_DIM)
    }

    /// Modules with dim 0 are absent; the trainable count is the subnet's slices (prompts p·D, LoRA 4·D·r,
    /// adapter 2·a·D + a + D) plus the head.
    func testCountsFollowThePerBlockDims() throws {
        let m = try make(Self.goldenOptions)
        XCTAssertNil(m.loraB[1]); XCTAssertNil(m.adapter[2])
        let d = 32
        let expected = (3 + 5 + 2) * d + 4 * d * (4 + 2) + (2 * 2 * d + 2 + d) + (2 * 5 * d + 5 + d) + (5 * d + 5)
        XCTAssertEqual(m.trainable.totalCount, expected)
    }

    /// Default init: LoRA_b re-drawn (≠ 0), as the official init_weights does; FIXED_INIT keeps LoRA_b = 0.
    /// In training mode the dropouts and drop-path make the output differ from eval mode.
    func testInitAndTrainingMode() throws {
        func nonzero(_ p: Parameter?) -> Bool { p!.value.scalars.contains { $0 != 0 } }
        let m = try make(Self.goldenOptions)
        XCTAssertTrue(nonzero(m.loraB[0]) && nonzero(m.loraB[2]))
        var fixed = Self.goldenOptions; fixed["FIXED_INIT"] = .bool(true)
        let f = try make(fixed)
        XCTAssertFalse(nonzero(f.loraB[0]) || nonzero(f.loraB[2]))
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { Float(($0 * 37) % 101) / 50 - 1 }, shape: [2, 3, 32, 32])
        var e1 = ForwardContext.eval, e2 = ForwardContext.eval
        XCTAssertEqual(m.logits(x, context: &e1).scalars, m.logits(x, context: &e2).scalars)
        var t = ForwardContext.eval; t.training = true
        XCTAssertGreaterThan(Golden.relError(m.logits(x, context: &t).scalars, m.logits(x, context: &e1).scalars), 1e-6)
    }

    func testBadOptionsNameTheProblem() {
        var short = Self.goldenOptions; short["LORA_DIM"] = .list([.int(1)])
        XCTAssertThrowsError(try make(short)) { XCTAssertTrue("\($0)".contains("LORA_DIM needs one value per block (3)"), "\($0)") }
        var prefix = Self.goldenOptions; prefix["PREFIX_DIM"] = .list([.int(0), .int(1), .int(0)])
        XCTAssertThrowsError(try make(prefix)) { XCTAssertTrue("\($0)".contains("prefix"), "\($0)") }
        var big = Self.goldenOptions; big["VISUAL_PROMPT_DIM"] = .list([.int(7), .int(1), .int(1)])
        XCTAssertThrowsError(try make(big)) { XCTAssertTrue("\($0)".contains("SUPERNET"), "\($0)") }
        var unknown = Self.goldenOptions; unknown["RANK"] = .int(2)
        XCTAssertThrowsError(try make(unknown)) { XCTAssertTrue("\($0)".contains("RANK"), "\($0)") }
    }

    /// The 19 VTAB-1k recipes and the mini recipe load, resolve their schedule and build on a 12-block (4 for mini) ViT.
    func testRecipesLoadAndBuild() throws {
        let files = FileManager.default.enumerator(at: Golden.recipes, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" }
            .filter { $0.deletingPathExtension().lastPathComponent == "noah" || $0.deletingLastPathComponent().lastPathComponent == "noah" }
        XCTAssertEqual(files.count, 19 + 1)
        for f in files {
            let r = try Recipe.load(f)
            XCTAssertEqual(r.method, "noah", f.path)
            _ = try r.schedule.resolve(epochs: r.epochs, itersPerEpoch: 10)
            let mini = f.path.contains("/mini/")
            let cfg = mini ? ViTConfig(imageSize: 32, patchSize: 8, dim: 96, depth: 4, heads: 2, mlpDim: 8)
                           : ViTConfig(imageSize: 224, patchSize: 16, dim: 16, depth: 12, heads: 2, mlpDim: 8)
            _ = try makeMethod(r.method, setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 3, options: r.options, rng: RandomStream(0)))
        }
        // Spot check against experiments/NOAH/subnet/VTAB/ViT-B_prompt_svhn.yaml RETRAIN.
        let svhn = try Recipe.load(Golden.recipes.appendingPathComponent("vtab1k/noah/svhn.yaml"))
        XCTAssertEqual(svhn.options["LORA_DIM"], .list([5, 5, 5, 10, 5, 5, 5, 10, 10, 10, 10, 5].map { .int($0) }))
        XCTAssertEqual(svhn.lr, 1e-3); XCTAssertEqual(svhn.epochs, 100); XCTAssertEqual(svhn.batchSize, 64)
    }
}
