// To-float and normalisation: torchvision `ToTensor` (HWC uint8 → CHW float / 255) and `Normalize`.

/// Per-channel mean and standard deviation applied after scaling to [0, 1].
public struct Normalization: Codable, Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]
    public init(mean: [Float], std: [Float]) { self.mean = mean; self.std = std }

    /// torchvision/timm ImageNet statistics (VPT, E2VPT, DA-VPT, InsVP).
    public static let imagenet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// mean = std = 0.5, i.e. inputs in [−1, 1] (SA²VP, DAM-VP with vit-b-22k; what the IN-21k ViT was trained on).
    public static let half = Normalization(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
}

/// `ToTensor`: uint8 HWC → float CHW in [0, 1] (x / 255).
public func toFloatCHW(_ img: Image) -> FloatImage {
    toFloatCHW(img.pixels.map(Float.init), height: img.height, width: img.width, channels: img.channels)
}

/// Float HWC in 0…255 → CHW / 255 (VPT's TF path divides after resizing).
public func toFloatCHW(_ hwc: [Float], height: Int, width: Int, channels: Int) -> FloatImage {
    let C = channels, HW = height * width
    var out = [Float](repeating: 0, count: C * HW)
    hwc.withUnsafeBufferPointer { s in
        out.withUnsafeMutableBufferPointer { o in
            for p in 0..<HW { for c in 0..<C { o[c * HW + p] = s[p * C + c] / 255 } }
        }
    }
    return FloatImage(channels: C, height: height, width: width, values: out)
}

/// `Normalize(mean, std)`: (x − mean[c]) / std[c] per channel, in place.
public func normalize(_ img: inout FloatImage, _ n: Normalization) {
    let HW = img.height * img.width
    img.values.withUnsafeMutableBufferPointer { v in
        for c in 0..<img.channels {
            let m = n.mean[c % n.mean.count], s = n.std[c % n.std.count]
            for p in 0..<HW { v[c * HW + p] = (v[c * HW + p] - m) / s }
        }
    }
}
