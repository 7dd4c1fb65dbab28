import XCTest
import Checkpoints
@testable import Backbones
@testable import Engine

/// ViT parity with timm on a tiny random-weight model, loaded from every naming and container
/// (fixtures: Tests/Fixtures/backbones/make_vit_fixtures.py).
final class ViTParityTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/backbones")
    static let config = ViTConfig(imageSize: 32, patchSize: 8, dim: 64, depth: 2, heads: 4, mlpDim: 128, numClasses: 10)

    override func setUp() { Threads.set(1) }

    func io(_ name: String) throws -> Tensor {
        let ck = try loadCheckpoint(Self.dir.appendingPathComponent("vit_tiny_io.safetensors"))
        let t = try ck.tensor(name)
        return Tensor(try t.floats(), shape: t.shape)
    }

    /// Max |a − e| relative to max |e|.
    func relError(_ a: Tensor, _ e: Tensor) -> Float {
        XCTAssertEqual(a.shape, e.shape)
        var num: Float = 0, den: Float = 0
        for i in 0..<e.count { num = max(num, abs(a.data[i] - e.data[i])); den = max(den, abs(e.data[i])) }
        return num / den
    }

    func checkParity(file: String, naming: ViTNaming, prefix: String = "", line: UInt = #line) throws {
        let vit = ViT(Self.config, seed: 99)
        let ck = try loadCheckpoint(Self.dir.appendingPathComponent(file))
        let dict = StateDict(ck)
        let report = try vit.load(dict, naming: naming, prefix: prefix)
        XCTAssertEqual(report.loaded.count, vit.parameters.count, "\(file): \(report)", line: line)
        XCTAssertTrue(dict.unused.isEmpty, "\(file) unused: \(dict.unused)", line: line)
        let x = try io("x").requiringGrad()
        let logits = vit(x)
        let eLogits = try io("logits")
        let le = relError(logits, eLogits)
        XCTAssertLessThan(le, 1e-5, "\(file) logits rel error \(le)", line: line)
        (logits * (try io("r"))).sum().backward()
        let ge = relError(x.grad!, try io("dx"))
        XCTAssertLessThan(ge, 1e-4, "\(file) input-gradient rel error \(ge)", line: line)
        print("parity \(file) [\(naming.rawValue)]: logits \(le), input grad \(ge)")
    }

    func testTimmSafetensors() throws { try checkParity(file: "vit_tiny.safetensors", naming: .timm) }
    func testTimmPth() throws { try checkParity(file: "vit_tiny.pth", naming: .timm) }
    func testGoogleNPZ() throws { try checkParity(file: "vit_tiny_google.npz", naming: .googleNPZ) }
    func testJeonsworldPth() throws {
        // VPT's model keeps the backbone under `enc.` and its own head elsewhere: load without the head.
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 64, depth: 2, heads: 4, mlpDim: 128), seed: 1)
        let dict = StateDict(try loadCheckpoint(Self.dir.appendingPathComponent("vit_tiny_jeonsworld.pth")))
        let report = try vit.load(dict, naming: .jeonsworld, prefix: "enc.")
        XCTAssertEqual(report.loaded.count, vit.parameters.count)
        // Features must equal those of the timm-named load.
        let ref = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 64, depth: 2, heads: 4, mlpDim: 128), seed: 2)
        try ref.load(StateDict(try loadCheckpoint(Self.dir.appendingPathComponent("vit_tiny.safetensors"))), naming: .timm)
        var c1 = ForwardContext.eval, c2 = ForwardContext.eval
        let x = try io("x")
        XCTAssertEqual(vit.features(x, context: &c1).scalars, ref.features(x, context: &c2).scalars)
    }

    func testNamingDetection() throws {
        for (f, n) in [("vit_tiny.safetensors", ViTNaming.timm), ("vit_tiny_google.npz", .googleNPZ), ("vit_tiny_jeonsworld.pth", .jeonsworld)] {
            XCTAssertEqual(ViTNaming.detect(try loadCheckpoint(Self.dir.appendingPathComponent(f)).names), n, f)
        }
    }

    /// Export in each naming and load back: identical weights.
    func testExportRoundTrip() throws {
        let a = ViT(Self.config, seed: 5)
        for naming in ViTNaming.allCases {
            let tensors = a.exportTensors(naming)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("vit-rt-\(naming.rawValue).safetensors")
            try Safetensors.write(tensors, to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            let b = ViT(Self.config, seed: 6)
            try b.load(StateDict(try loadCheckpoint(url)), naming: naming)
            for (p, q) in zip(a.parameters, b.parameters) {
                XCTAssertEqual(p.value.scalars, q.value.scalars, "\(naming) \(p.name)")
            }
        }
    }

    /// Loading a 4×4-grid checkpoint into a 6×6-grid model resamples the position embedding as scipy's zoom(order=1).
    func testPositionEmbeddingResampling() throws {
        var c = Self.config; c.imageSize = 48
        let vit = ViT(c, seed: 1)
        try vit.load(StateDict(try loadCheckpoint(Self.dir.appendingPathComponent("vit_tiny.safetensors"))), naming: .timm)
        let e = try io("pos_embed_6x6")
        XCTAssertLessThan(relError(vit.posEmbed.value, e), 1e-6)
    }

    func testMissingTensorNamesTheFile() throws {
        let vit = ViT(Self.config)
        let dict = StateDict(try loadCheckpoint(Self.dir.appendingPathComponent("vit_tiny_jeonsworld.pth")))
        XCTAssertThrowsError(try vit.load(dict, naming: .timm)) { e in
            XCTAssertTrue("\(e)".contains("vit_tiny_jeonsworld.pth"), "\(e)")
        }
    }

    func testParameterCountFromConfig() {
        XCTAssertEqual(ViT(Self.config).parameters.totalCount, Self.config.parameterCount)
        // ViT-B/16 backbone without head: 85,798,656 (the frozen count in methods/vpt.md §2).
        XCTAssertEqual(ViTConfig.vitB16().parameterCount, 85_798_656)
    }
}
