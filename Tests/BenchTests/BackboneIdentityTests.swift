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

    func testCommittedMiniResNetLoadsAndItsHashIsChecked() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let good = root.appendingPathComponent("weights/resnet-mini.safetensors")
        let model = try BackboneZoo.loadModel("resnet-mini", weights: good)
        XCTAssertEqual(model.resnet?.config, BackboneZoo.miniResNetConfig)
        XCTAssertNotEqual(BackboneZoo.miniResNetSHA256, "PENDING", "the committed mini ResNet's hash is recorded")
        // The ViT-only entry point says what the id is instead of failing on names.
        XCTAssertThrowsError(try BackboneZoo.load("resnet-mini", weights: good)) { XCTAssertTrue("\($0)".contains("not a ViT"), "\($0)") }
        var data = try Data(contentsOf: good)
        data[data.count - 1] ^= 0xFF
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-resnet-mini.safetensors")
        try data.write(to: bad)
        XCTAssertThrowsError(try BackboneZoo.loadModel("resnet-mini", weights: bad)) { e in
            XCTAssertTrue("\(e)".contains("SHA-256") && "\(e)".contains("mini-resnet"), "\(e)")
        }
        try? FileManager.default.removeItem(at: bad)
    }

    func testWrongResNetFileIsRefusedNamingTheExpectedOne() throws {
        // The mini ResNet's file passed where ILM-VP's torchvision ResNet-18 is expected.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: root.appendingPathComponent("weights/resnet-mini.safetensors"), to: dir.appendingPathComponent("resnet18-f37072fd.pth"))
        XCTAssertThrowsError(try BackboneZoo.loadModel("resnet18-in1k", weights: dir)) { e in
            XCTAssertTrue("\(e)".contains("resnet18-f37072fd.pth") && "\(e)".contains("resnet18-in1k"), "\(e)")
        }
        // And where the Swin-B 22k file is expected (sa2vp-swin's backbone).
        try FileManager.default.moveItem(at: dir.appendingPathComponent("resnet18-f37072fd.pth"), to: dir.appendingPathComponent("swin_base_patch4_window7_224_22k.pth"))
        XCTAssertThrowsError(try BackboneZoo.loadModel("swin-b-in22k", weights: dir)) { e in
            XCTAssertTrue("\(e)".contains("swin_base_patch4_window7_224_22k.pth") && "\(e)".contains("swin-b-in22k"), "\(e)")
        }
        XCTAssertThrowsError(try BackboneZoo.loadModel("resnet50-in1k", weights: dir)) { e in
            XCTAssertTrue("\(e)".contains("not found") && "\(e)".contains("resnet50-11ad3fa6.pth"), "\(e)")
        }
    }
}
