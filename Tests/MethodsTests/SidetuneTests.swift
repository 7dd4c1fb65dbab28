import XCTest
import Backbones
import Bench
import Checkpoints
import Engine
import Methods
import Random

/// Sidetune against KMnP/vpt's own model class (Tests/Fixtures/methods/sidetune/make_sidetune_golden.py): TRANSFER_TYPE
/// "side" on a tiny ViT with a narrow AlexNet side network at 224 px → same logits, loss, trainable set, gradients and
/// the official trainable count; the side network loads from a torchvision-named .pth; the cached forward equals the
/// recomputed one.
final class SidetuneTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// The golden's shapes (meta.json "config").
    static let vit = ViTConfig(imageSize: 224, patchSize: 32, dim: 16, depth: 2, heads: 2, mlpDim: 32)
    static let narrow: MethodOptions = ["side_widths": .list([8, 16, 16, 16, 256].map { .int($0) })]

    func make(_ options: MethodOptions = narrow, vit: ViTConfig = vit) throws -> Sidetune {
        let m = try makeMethod("sidetune", setup: MethodSetup(backbone: .vit(ViT(vit, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
        return try XCTUnwrap(m as? Sidetune)
    }

    func meta() throws -> [String: Any] {
        let url = Golden.root.appendingPathComponent("sidetune/meta.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func testParity() throws {
        let m = try make()
        try Golden.check(m, dir: "sidetune", weights: "sidetune.safetensors", io: "sidetune_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), try meta()["trainable_count"] as? Int, "trainable count")
        XCTAssertEqual(m.alpha.value.scalars, [0.3], "side_alpha comes from the file (the golden sets 0.3)")
    }

    /// The side network alone loads from the torchvision-named state dict torch.save wrote.
    func testSideNetworkLoadsTorchvisionPth() throws {
        var rng = RandomStream(0)
        let narrow = AlexNetConfig(widths: [8, 16, 16, 16, 256])
        let net = AlexNetFeatures(narrow, rng: &rng)
        let report = try net.load(StateDict(try loadCheckpoint(Golden.root.appendingPathComponent("sidetune/alexnet_narrow_features.pth"))))
        XCTAssertEqual(report.loaded.count, 10)
        XCTAssertTrue(report.unexpected.isEmpty, "\(report)")
        let all = try loadCheckpoint(Golden.root.appendingPathComponent("sidetune/sidetune.safetensors"))
        for p in net.parameters { XCTAssertEqual(p.value.scalars, try all.tensor("side." + p.name).floats(), p.name) }
    }

    /// Official shapes: a 0-dim side_alpha at 0, a bias-free 9216 → D projection, the side network trainable, the ViT frozen.
    func testStructureAndInit() throws {
        let m = try make()
        XCTAssertEqual(m.alpha.shape, [])
        XCTAssertEqual(m.alpha.value.scalars, [0])
        XCTAssertEqual(m.projection.weight.shape, [16, 9216])
        XCTAssertNil(m.projection.bias)
        XCTAssertTrue(m.side.parameters.allSatisfy(\.trainable))
        XCTAssertFalse(m.vit.parameters.contains(where: \.trainable))
        XCTAssertEqual(Set(m.trainable.map(\.name)), Set((try meta()["trainable_tensors"] as? [String]) ?? []))
        // Full-size AlexNet: 2,469,696 convolution values (torchvision's features) + 9216·768 + 1 + head.
        XCTAssertEqual(AlexNetConfig.alexnet.stateDictSpec().prefix(10).map(\.count).reduce(0, +), 2_469_696)
        XCTAssertEqual(AlexNetConfig.alexnet.featureDim, 9216)
        XCTAssertEqual(AlexNetConfig.alexnet.mapSize(imageSize: 224), 6)
        XCTAssertEqual(AlexNetConfig.alexnet.minimumImageSize, 63)
        XCTAssertEqual(AlexNetConfig.mini.mapSize(imageSize: 32), 3)
    }

    func testRejectsWhatCannotRun() throws {
        let small = ViTConfig(imageSize: 32, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpDim: 32)
        XCTAssertThrowsError(try make([:], vit: small)) { error in
            XCTAssertTrue("\(error)".contains("cannot take 32-px images") && "\(error)".contains("63"), "\(error)")
        }
        XCTAssertNoThrow(try make(["side_network": .string("alexnet-mini")], vit: small))
        XCTAssertThrowsError(try make(["side_network": .string("vgg")]))
        XCTAssertThrowsError(try make(["side_widths": .list([.int(8)])]))
        XCTAssertThrowsError(try make(["SIDE": .bool(true)]))
        XCTAssertThrowsError(try makeMethod("sidetune", setup: MethodSetup(backbone: .vit(ViT(Self.vit)), numClasses: 3, options: Self.narrow,
                                                                  rng: RandomStream(0), backboneId: "vit-b16-mae")))
        XCTAssertThrowsError(try makeMethod("sidetune", setup: MethodSetup(backbone: .resnet(ResNet(BackboneZoo.miniResNetConfig)), numClasses: 3, rng: RandomStream(0))))
    }

    /// The runner's side-network loading: the file is looked up beside the ViT, a missing file names what to put there, a
    /// wrong file is refused by its hash (torchvision's file-name prefix) or, with hash checks off, by its tensors.
    func testSideNetworkFileChecks() throws {
        let m = try make([:])
        XCTAssertEqual(m.sideNetworkID, "alexnet-in1k")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sidetune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try SideNetworks.load(into: m, weights: dir, checkHash: true)) { error in
            XCTAssertTrue("\(error)".contains("alexnet-owt-7be5be79.pth") && "\(error)".contains("not found"), "\(error)")
        }
        // The narrow features file under the torchvision name: wrong hash, and (unchecked) not AlexNet's tensors.
        let wrong = dir.appendingPathComponent("alexnet-owt-7be5be79.pth")
        try FileManager.default.copyItem(at: Golden.root.appendingPathComponent("sidetune/alexnet_narrow_features.pth"), to: wrong)
        // A --weights path naming the ViT file finds the side network beside it.
        XCTAssertEqual(try SideNetworks.file("alexnet-in1k", weights: dir.appendingPathComponent("imagenet21k_ViT-B_16.npz")).path, wrong.path)
        XCTAssertThrowsError(try SideNetworks.load(into: m, weights: dir, checkHash: true)) { error in
            XCTAssertTrue("\(error)".contains("SHA-256") && "\(error)".contains("7be5be79"), "\(error)")
        }
        XCTAssertThrowsError(try SideNetworks.load(into: m, weights: dir, checkHash: false)) { error in
            XCTAssertTrue("\(error)".contains("expected backbone 'alexnet-in1k'") && "\(error)".contains(wrong.path), "\(error)")
        }
    }

    /// The committed mini side network is the recorded file and loads into the mini layout (what the mini recipe runs).
    func testCommittedMiniSideNetwork() throws {
        let weights = Golden.recipes.deletingLastPathComponent().appendingPathComponent("weights")
        XCTAssertEqual(try SHA256.hex(file: weights.appendingPathComponent("alexnet-mini.safetensors")), SideNetworks.miniSHA256)
        let m = try make(["side_network": .string("alexnet-mini")], vit: BackboneZoo.miniConfig)
        let before = m.side.parameters.map(\.value.scalars)
        try SideNetworks.load(into: m, weights: weights, checkHash: true)
        XCTAssertTrue(zip(before, m.side.parameters.map(\.value.scalars)).allSatisfy { $0 != $1 }, "every convolution replaced")
        XCTAssertEqual(m.projection.weight.shape, [96, 576])
    }

    /// Logits from the cached [ViT feature | image] rows equal the full forward, and their gradients agree.
    func testCachedForwardEqualsRecomputed() throws {
        let small = ViTConfig(imageSize: 32, patchSize: 8, dim: 16, depth: 2, heads: 2, mlpDim: 32)
        let m = try make(["side_network": .string("alexnet-mini")], vit: small)
        m.alpha.value.data[0] = 0.4
        var rng = RandomStream(9)
        let x = Tensor((0..<(3 * 3 * 32 * 32)).map { _ in rng.normal() }, shape: [3, 3, 32, 32])
        let f = m.frozenFeatures(x)
        XCTAssertEqual(f.shape, [3, m.featureWidth])
        XCTAssertEqual(m.featureWidth, 16 + 3 * 32 * 32)
        var ctx = ForwardContext.eval
        let direct = m.logits(x, context: &ctx)
        let cached = m.logits(fromFeatures: f)
        XCTAssertLessThan(Golden.relError(cached.scalars, direct.scalars), 1e-6)
        func grads(_ logits: Tensor) -> [[Float]] {
            for p in m.trainable { p.value.grad = nil }
            Tensor.crossEntropy(logits, labels: [0, 1, 2]).backward()
            return m.trainable.map { $0.grad?.scalars ?? [] }
        }
        var c2 = ForwardContext.eval
        let a = grads(m.logits(x, context: &c2)), b = grads(m.logits(fromFeatures: f))
        for (u, v) in zip(a, b) { XCTAssertLessThan(Golden.relError(v, u), 1e-5) }
    }
}
