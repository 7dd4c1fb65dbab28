import XCTest
@testable import Bench
import Checkpoints
import Foundation

/// Loading the wrong file for a named ViT backbone fails with a message that says which file was expected.
final class BackboneIdentityTests: XCTestCase {
    func write(_ tensors: [StoredTensor], _ name: String) throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try Safetensors.write(tensors, to: u)
        return u
    }

    func assertRefused(_ id: String, _ url: URL, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try BackboneZoo.load(id, weights: url), file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(mentions), "\(e)", file: file, line: line)
            XCTAssertTrue("\(e)".contains(url.lastPathComponent), "the message names the file: \(e)", file: file, line: line)
        }
        try? FileManager.default.removeItem(at: url)
    }

    func testIN1kFineTunedViTIsRefusedForIN21k() throws {
        let u = try write([StoredTensor(name: "head/kernel", shape: [4, 1000], floats: [Float](repeating: 0, count: 4000))], "ViT-B_16-224.npz.safetensors")
        assertRefused("vit-b16-in21k", u, mentions: "imagenet21k/ViT-B_16.npz")
    }

    func testMoCoLinearProbeCheckpointIsRefused() throws {
        let u = try write([StoredTensor(name: "module.head.weight", shape: [1000, 4], floats: [Float](repeating: 0, count: 4000)),
                           StoredTensor(name: "module.blocks.0.norm1.weight", shape: [4], floats: [1, 1, 1, 1])], "linear-vit-b-300ep.safetensors")
        assertRefused("vit-b16-mocov3", u, mentions: "vit-b-300ep.pth.tar")
    }

    func testFineTunedMAEIsRefused() throws {
        let u = try write([StoredTensor(name: "head.weight", shape: [1000, 4], floats: [Float](repeating: 0, count: 4000))], "mae_finetuned.safetensors")
        assertRefused("vit-b16-mae", u, mentions: "mae_pretrain_vit_base.pth")
    }

    func testCommittedMiniWeightsHashIsChecked() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let good = root.appendingPathComponent("weights/vit-mini.safetensors")
        XCTAssertNoThrow(try BackboneZoo.load("vit-mini", weights: good))
        // A tampered copy (one byte changed) fails the SHA-256 check.
        var data = try Data(contentsOf: good)
        data[data.count - 1] ^= 0xFF
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-vit-mini.safetensors")
        try data.write(to: bad)
        assertRefused("vit-mini", bad, mentions: "SHA-256")
    }
}
