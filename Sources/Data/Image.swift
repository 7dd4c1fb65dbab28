// Image: the decoded uint8 picture every reader produces and every uint8 transform consumes.

/// An 8-bit image in height × width × channels (HWC) order; `channels` is 3 (RGB) for decoded files.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `height * width * channels` bytes, row-major, channels interleaved.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int = 3, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "Image: pixel count \(pixels.count) != \(height)x\(width)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int, channels: Int = 3) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    @inline(__always)
    public subscript(y: Int, x: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}

/// A float image in channels × height × width (CHW) order, what normalisation and batches use.
public struct FloatImage: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// `channels * height * width` values, CHW.
    public var values: [Float]

    public init(channels: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == channels * height * width, "FloatImage: value count mismatch")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }
}
