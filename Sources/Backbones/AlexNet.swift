// torchvision's AlexNet (torchvision/models/alexnet.py), the `features` part and its `avgpool`: the side network of
// Sidetune as KMnP/vpt builds it (`src/models/vit_models.py:51-61`: `models.alexnet(pretrained=True)`, then
// `nn.Sequential(features, avgpool)`, flattened to 256·6·6 = 9216).
//   features.0  Conv2d(3, 64, 11, stride 4, padding 2) → ReLU → MaxPool2d(3, 2)
//   features.3  Conv2d(64, 192, 5, padding 2)          → ReLU → MaxPool2d(3, 2)
//   features.6  Conv2d(192, 384, 3, padding 1)         → ReLU
//   features.8  Conv2d(384, 256, 3, padding 1)         → ReLU
//   features.10 Conv2d(256, 256, 3, padding 1)         → ReLU → MaxPool2d(3, 2)
//   avgpool     AdaptiveAvgPool2d((6, 6))
// The pretrained file (`alexnet-owt-7be5be79.pth`, what `pretrained=True` downloads) also holds the classifier
// (classifier.1/.4/.6: 9216→4096→4096→1000); the side network does not use it, the identity check requires it.
// Widths, the first conv's geometry and the pooled size are parameters so tests can use a structurally identical
// narrow copy and the mini benchmark a 32-px variant (`alexnet-mini`: a 224-px AlexNet's first conv shrinks an image
// 4×, which leaves nothing of a 32-px image after three pools).
import Checkpoints
import Engine
import Foundation
import Random

/// Shape of an AlexNet-layout network.
public struct AlexNetConfig: Codable, Equatable, Sendable {
    /// Output channels of the five convolutions (torchvision: 64, 192, 384, 256, 256).
    public var widths: [Int] = [64, 192, 384, 256, 256]
    /// The first convolution's kernel, stride and padding (torchvision: 11, 4, 2).
    public var conv1Kernel = 11, conv1Stride = 4, conv1Padding = 2
    /// AdaptiveAvgPool2d output side (torchvision: 6).
    public var pooledSize = 6
    /// The classifier of the pretrained file: hidden width and classes (torchvision: 4096, 1000).
    public var hidden = 4096, numClasses = 1000

    public init(widths: [Int] = [64, 192, 384, 256, 256], conv1Kernel: Int = 11, conv1Stride: Int = 4, conv1Padding: Int = 2,
                pooledSize: Int = 6, hidden: Int = 4096, numClasses: Int = 1000) {
        self.widths = widths; self.conv1Kernel = conv1Kernel; self.conv1Stride = conv1Stride; self.conv1Padding = conv1Padding
        self.pooledSize = pooledSize; self.hidden = hidden; self.numClasses = numClasses
    }

    /// torchvision `alexnet()`.
    public static let alexnet = AlexNetConfig()
    /// The mini benchmark's side network: AlexNet's five convolutions and three pools at narrow widths, the first conv
    /// 5×5 stride 1 so a 32-px image keeps 3×3 cells after the pools (a 224-px AlexNet keeps 6×6).
    public static let mini = AlexNetConfig(widths: [16, 48, 96, 64, 64], conv1Kernel: 5, conv1Stride: 1, conv1Padding: 2,
                                           pooledSize: 3, hidden: 0, numClasses: 0)

    /// State-dict indices of the five convolutions inside `features`.
    public static let convIndices = [0, 3, 6, 8, 10]

    /// Values per image after avgpool and flatten (torchvision: 9216).
    public var featureDim: Int { widths[4] * pooledSize * pooledSize }

    /// (kernel, stride, padding) of conv `i`.
    func geometry(_ i: Int) -> (Int, Int, Int) {
        switch i {
        case 0: return (conv1Kernel, conv1Stride, conv1Padding)
        case 1: return (5, 1, 2)
        default: return (3, 1, 1)
        }
    }

    /// The side of the map entering avgpool for a `size`-px image, nil when a pool would get nothing
    /// (torchvision's AlexNet needs at least 63 px).
    public func mapSize(imageSize size: Int) -> Int? {
        var s = size
        for i in 0..<5 {
            let (k, st, p) = geometry(i)
            s = (s + 2 * p - k) / st + 1
            if s < 1 { return nil }
            if i == 0 || i == 1 || i == 4 {
                guard s >= 3 else { return nil }
                s = (s - 3) / 2 + 1
            }
        }
        return s
    }

    /// The smallest image side the network takes.
    public var minimumImageSize: Int { (1...4096).first { mapSize(imageSize: $0) != nil } ?? 4096 }

    /// The torchvision state dict (features and classifier), in file order.
    public func stateDictSpec() -> [TensorSpec] {
        var s: [TensorSpec] = []
        var inC = 3
        for (i, idx) in Self.convIndices.enumerated() {
            let k = geometry(i).0
            s += [TensorSpec("features.\(idx).weight", [widths[i], inC, k, k]), TensorSpec("features.\(idx).bias", [widths[i]])]
            inC = widths[i]
        }
        if numClasses > 0 {
            for (idx, (i, o)) in zip([1, 4, 6], [(featureDim, hidden), (hidden, hidden), (hidden, numClasses)]) {
                s += [TensorSpec("classifier.\(idx).weight", [o, i]), TensorSpec("classifier.\(idx).bias", [o])]
            }
        }
        return s
    }
}

/// AlexNet's `features` then `avgpool`, flattened: [B, 3, H, W] → [B, featureDim].
public final class AlexNetFeatures: ParameterContainer {
    public let config: AlexNetConfig
    /// The five convolutions (weight, bias), named `<prefix>features.<i>.{weight,bias}`.
    public let convs: [(weight: Parameter, bias: Parameter)]
    /// Prepended to the torchvision names (`side.` inside Sidetune).
    public let prefix: String

    /// torchvision's initialisation (nn.Conv2d's default: weight kaiming_uniform(a=√5), bias U(±1/√fan_in));
    /// AlexNet adds no init of its own. Pretrained weights replace it (`load`).
    public init(_ config: AlexNetConfig, prefix: String = "", rng: inout RandomStream) {
        self.config = config
        self.prefix = prefix
        var inC = 3
        var convs: [(weight: Parameter, bias: Parameter)] = []
        for (i, idx) in AlexNetConfig.convIndices.enumerated() {
            let k = config.geometry(i).0, shape = [config.widths[i], inC, k, k]
            let bound = 1 / Float(inC * k * k).squareRoot()
            convs.append((Parameter("\(prefix)features.\(idx).weight", Init.kaimingUniformDefault(shape, rng: &rng)),
                          Parameter("\(prefix)features.\(idx).bias", Init.uniform([config.widths[i]], -bound, bound, rng: &rng))))
            inC = config.widths[i]
        }
        self.convs = convs
    }

    public var parameters: [Parameter] { convs.flatMap { [$0.weight, $0.bias] } }

    /// conv → ReLU (fused), with the three max-pools and the adaptive average pool; flattened in NCHW order
    /// (`side_output.view(B, -1)`).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, c) in convs.enumerated() {
            let (_, s, p) = config.geometry(i)
            h = h.conv2d(weight: c.weight.value, bias: c.bias.value, stride: (s, s), padding: (p, p), relu: true)
            if i == 0 || i == 1 || i == 4 { h = h.maxPool2d(kernel: (3, 3), stride: (2, 2)) }
        }
        let n = config.pooledSize
        return h.adaptiveAvgPool2d(n, n).reshaped([x.shape[0], config.featureDim])
    }

    /// Loads the five convolutions from torchvision names (`features.<i>.*`, optionally under `filePrefix`);
    /// the classifier the file may hold is left unused (reported as unexpected).
    @discardableResult
    public func load(_ dict: StateDict, filePrefix: String = "") throws -> LoadReport {
        var report = LoadReport()
        for p in parameters {
            let name = filePrefix + String(p.name.dropFirst(prefix.count))
            guard dict.contains(name) else { report.missing.append(name); continue }
            try dict.load(name, into: p)
            report.loaded.append(name)
        }
        report.unexpected = dict.unused
        guard report.missing.isEmpty else {
            throw BackboneError(file: dict.file, "AlexNet features missing: \(report.missing.prefix(5).joined(separator: ", "))")
        }
        return report
    }

    /// Loads `alexnet-in1k` from the torchvision file after checking it is that file.
    public func loadPretrained(_ id: BackboneID, from checkpoint: Checkpoint) throws {
        guard id == .alexnetIn1k else { throw BackboneError(file: checkpoint.file, "'\(id.rawValue)' is not an AlexNet backbone") }
        guard config.widths == AlexNetConfig.alexnet.widths, config.pooledSize == 6, config.conv1Kernel == 11 else {
            throw BackboneError(file: checkpoint.file, "the side network is not torchvision's AlexNet shape; alexnet-in1k cannot load into it")
        }
        let ck = try preparedCheckpoint(checkpoint)
        try id.verify(ck)
        try load(StateDict(ck))
    }

    /// The convolutions in torchvision names (for the mini pretraining's weight file).
    public func exportTensors() -> [StoredTensor] {
        parameters.map { StoredTensor(name: String($0.name.dropFirst(prefix.count)), shape: $0.shape, floats: $0.value.scalars) }
    }
}
