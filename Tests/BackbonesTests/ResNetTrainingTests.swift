import XCTest
@testable import Backbones
import Checkpoints
import Engine
import Random

/// The pieces that let the suite pretrain its own mini ResNet: torchvision's random initialisation, BatchNorm in
/// training mode, and export in torchvision names.
final class ResNetTrainingTests: XCTestCase {
    let config = ResNetConfig(block: .basic, layers: [1, 1, 1, 1], widths: [8, 16, 16, 32], numClasses: 10)

    func testRandomInitFollowsTorchvision() {
        let net = ResNet(config, seed: 3)
        // conv: kaiming_normal_(mode="fan_out", relu) → std √(2 / (outC·k·k)).
        for p in net.parameters where p.name.hasSuffix("conv1.weight") || p.name.hasSuffix("conv2.weight") || p.name.hasSuffix("downsample.0.weight") {
            let v = p.value.scalars, n = Float(v.count)
            let mean = v.reduce(0, +) / n
            let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot()
            let expected = (2 / Float(p.shape[0] * p.shape[2] * p.shape[3])).squareRoot()
            XCTAssertEqual(std, expected, accuracy: expected * (v.count > 2000 ? 0.1 : 0.25), p.name)
        }
        // BN weight 1, bias 0; fc uniform within ±1/√fan_in and not all equal.
        for p in net.parameters where p.name.contains("bn") {
            XCTAssertEqual(Set(p.value.scalars), [p.name.hasSuffix("weight") ? 1 : 0], p.name)
        }
        let bound = 1 / Float(config.featureDim).squareRoot()
        XCTAssertTrue(net.fc.weight.value.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(Set(net.fc.weight.value.scalars).count, 100)
        // Deterministic in the seed, different across seeds.
        XCTAssertEqual(ResNet(config, seed: 3).parameters.map(\.value.scalars), net.parameters.map(\.value.scalars))
        XCTAssertNotEqual(ResNet(config, seed: 4).parameters[0].value.scalars, net.parameters[0].value.scalars)
    }

    func testTrainingModeBatchNormUsesBatchStatisticsAndUpdatesRunningOnes() {
        let net = ResNet(config, seed: 1)
        var rng = RandomStream(9)
        let x = Init.normal([4, 3, 32, 32], mean: 2, std: 3, rng: &rng)
        let evalOut = net.forward(x).scalars
        XCTAssertTrue(net.buffers.allSatisfy { b in b.name.hasSuffix("running_mean") ? b.value.scalars.allSatisfy { $0 == 0 } : true })
        net.trainsBatchNorm = true
        for p in net.parameters { p.trainable = true }
        let logits = net.forward(x)
        let trainOut = logits.scalars
        XCTAssertNotEqual(trainOut, evalOut, "batch statistics differ from the initial running ones")
        let stemMean = net.buffers.first { $0.name == "bn1.running_mean" }!.value.scalars
        XCTAssertTrue(stemMean.contains { $0 != 0 }, "running mean updated with momentum 0.1")
        // Gradients reach the first conv through every training-mode BatchNorm.
        Tensor.crossEntropy(logits, labels: [0, 1, 2, 3]).backward()
        XCTAssertNotNil(net.parameters.first { $0.name == "conv1.weight" }!.grad)
        XCTAssertTrue(net.parameters.first { $0.name == "conv1.weight" }!.grad!.scalars.contains { $0 != 0 })
        net.trainsBatchNorm = false
        XCTAssertNotEqual(net.forward(x).scalars, evalOut, "eval mode now reads the updated running statistics")
    }

    func testExportLoadsBackIntoAnIdenticalModel() throws {
        let net = ResNet(config, seed: 5)
        net.trainsBatchNorm = true
        var rng = RandomStream(2)
        let x = Init.normal([2, 3, 32, 32], std: 1, rng: &rng)
        _ = net.forward(x)  // moves the running statistics away from their defaults
        net.trainsBatchNorm = false
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-rt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(net.exportTensors(), to: url)
        let back = ResNet(config)
        let report = try back.load(from: try loadCheckpoint(url))
        XCTAssertTrue(report.missing.isEmpty, "\(report.missing)")
        XCTAssertEqual(back.forward(x).scalars, net.forward(x).scalars)
    }
}
