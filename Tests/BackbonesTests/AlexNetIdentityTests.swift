// The AlexNet side network's identity check (BackboneID.alexnetIn1k against torchvision's alexnet-owt-7be5be79.pth
// layout), its full-size count against torchvision 0.29's `sum(p.numel() for p in alexnet().parameters())`, and the
// refusal of a wrong file.
import XCTest
@testable import Backbones
import Checkpoints
import Engine
import Random

final class AlexNetIdentityTests: XCTestCase {
    /// A checkpoint with the right names and shapes but no data (verification never reads values).
    private func shapeOnly(_ spec: [TensorSpec], file: String) -> Checkpoint {
        var ts: [String: StoredTensor] = [:]
        for t in spec { ts[t.name] = StoredTensor(name: t.name, dtype: t.kind == .ignored ? .i64 : .f32, shape: t.shape, data: Data()) }
        return Checkpoint(format: .torchZip, file: file, names: spec.map(\.name), tensors: ts)
    }

    func testFullSizeCountAndNames() {
        XCTAssertEqual(BackboneID.alexnetIn1k.parameterCount, 61_100_840)
        XCTAssertEqual(BackboneID.alexnetIn1k.expectedTensors.map(\.name), [
            "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "features.6.weight", "features.6.bias",
            "features.8.weight", "features.8.bias", "features.10.weight", "features.10.bias", "classifier.1.weight", "classifier.1.bias",
            "classifier.4.weight", "classifier.4.bias", "classifier.6.weight", "classifier.6.bias"])
        XCTAssertNoThrow(try BackboneID.alexnetIn1k.verify(shapeOnly(BackboneID.alexnetIn1k.expectedTensors, file: "alexnet-owt-7be5be79.pth")))
    }

    func testWrongFilesAreRefused() {
        let r18 = shapeOnly(BackboneID.resnet18In1k.expectedTensors, file: "/models/resnet18-f37072fd.pth")
        XCTAssertThrowsError(try BackboneID.alexnetIn1k.verify(r18)) { error in
            let msg = "\(error)"
            XCTAssertTrue(msg.contains("/models/resnet18-f37072fd.pth") && msg.contains("expected backbone 'alexnet-in1k'"), msg)
            XCTAssertTrue(msg.contains("looks like 'resnet18-in1k'"), msg)
        }
        let alex = shapeOnly(BackboneID.alexnetIn1k.expectedTensors, file: "alexnet-owt-7be5be79.pth")
        XCTAssertThrowsError(try BackboneID.resnet50In1k.verify(alex)) { error in
            XCTAssertTrue("\(error)".contains("looks like 'alexnet-in1k'"), "\(error)")
        }
        // Only the features (a side network saved on its own) are not the torchvision file.
        let featuresOnly = shapeOnly(Array(BackboneID.alexnetIn1k.expectedTensors.prefix(10)), file: "features.pth")
        XCTAssertThrowsError(try BackboneID.alexnetIn1k.verify(featuresOnly)) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
        // A narrow network cannot take the full-size file.
        var rng = RandomStream(0)
        let narrow = AlexNetFeatures(AlexNetConfig(widths: [8, 16, 16, 16, 256]), rng: &rng)
        XCTAssertThrowsError(try narrow.loadPretrained(.alexnetIn1k, from: alex))
    }

    /// Output shapes: 224 px → 6×6 (AlexNet's own map, the adaptive pool is the identity); 32 px on the mini layout → 3×3.
    func testForwardShapes() {
        var rng = RandomStream(1)
        let narrow = AlexNetFeatures(AlexNetConfig(widths: [4, 4, 4, 4, 8]), rng: &rng)
        XCTAssertEqual(narrow(Tensor(zeros: [2, 3, 224, 224])).shape, [2, 8 * 36])
        let mini = AlexNetFeatures(.mini, rng: &rng)
        XCTAssertEqual(mini(Tensor(zeros: [1, 3, 32, 32])).shape, [1, 576])
        XCTAssertNil(AlexNetConfig.alexnet.mapSize(imageSize: 62))
    }
}
