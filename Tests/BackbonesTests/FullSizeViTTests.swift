import XCTest
import Checkpoints
@testable import Backbones
import Engine

/// A full-size ViT-B/16 checkpoint in Google's npz naming (random weights, written by our own writer at test
/// time — too large to commit) loads with full key coverage and runs a forward pass.
final class FullSizeViTTests: XCTestCase {
    func testGoogleNPZViTB16LoadsAndRuns() throws {
        Threads.set(2)
        let config = ViTConfig.vitB16(numClasses: 21843, preLogits: true)  // imagenet21k/ViT-B_16.npz has both
        let source = ViT(config, seed: 11)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vitb16-\(UUID().uuidString).npz")
        defer { try? FileManager.default.removeItem(at: url) }
        try Npz.write(source.exportTensors(.googleNPZ), to: url)
        let ck = try loadCheckpoint(url)
        XCTAssertEqual(ViTNaming.detect(ck.names), .googleNPZ)
        XCTAssertEqual(ck.names.count, 4 + 12 * 16 + 2 + 2 + 2, "embedding (2) + cls + pos, 16 tensors per block, encoder norm, pre_logits, head")
        XCTAssertEqual(ck.tensors["Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel"]?.shape, [768, 12, 64])
        XCTAssertEqual(ck.tensors["embedding/kernel"]?.shape, [16, 16, 3, 768])
        let vit = ViT(config, seed: 12)
        let dict = StateDict(ck)
        let report = try vit.load(dict, naming: .googleNPZ)
        XCTAssertEqual(report.loaded.count, vit.parameters.count)
        XCTAssertTrue(report.missing.isEmpty && dict.unused.isEmpty, "\(report); unused \(dict.unused)")
        XCTAssertEqual(vit.parameters.totalCount, config.parameterCount)
        for (a, b) in zip(source.parameters, vit.parameters) { XCTAssertEqual(a.value.scalars, b.value.scalars, a.name) }
        var x = [Float](repeating: 0, count: 3 * 224 * 224)
        for i in x.indices { x[i] = Float((i * 7919) % 255) / 127.5 - 1 }
        let logits = withoutGrad { vit(Tensor(x, shape: [1, 3, 224, 224])) }
        XCTAssertEqual(logits.shape, [1, 21843])
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
    }
}
