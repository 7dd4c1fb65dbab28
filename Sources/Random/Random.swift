/// Seeded, counter-based random streams.
///
/// Every random draw in vpt-bench comes from an explicit `RandomStream`, never a global generator
/// (conventions §7). A stream is named by a path of integers, e.g. `(seed, epoch, sampleIndex)`,
/// so what a sample sees does not depend on thread count or batch composition.
///
/// Generator: Philox4x32-10 (Salmon et al., SC'11), keyed by SplitMix64 of the path.

import Foundation

/// SplitMix64 (Steele et al.); used to derive keys from seeds and stream paths.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A Philox4x32-10 stream. Value type: copying it forks the stream at its current position.
public struct RandomStream: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// 64-bit key derived from the path.
    public private(set) var key: UInt64
    /// 128-bit block counter (low, high).
    public private(set) var counterLo: UInt64
    public private(set) var counterHi: UInt64
    /// Buffered outputs of the current block and how many are used.
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used: Int = 4

    enum CodingKeys: String, CodingKey { case key, counterLo, counterHi, used }

    /// A stream named by `path` (e.g. `[seed]`, `[seed, epoch]`, `[seed, epoch, index]`).
    public init(_ path: UInt64...) { self.init(path: path) }

    public init(path: [UInt64]) {
        var mixer = SplitMix64(seed: 0x5EED_5EED_0000_0001)
        var k = mixer.next()
        for p in path {
            var m = SplitMix64(seed: k ^ p &+ 0x632B_E59B_D9B4_E019)
            k = m.next()
        }
        key = k
        counterLo = 0
        counterHi = 0
    }

    /// A child stream: independent of this one, named by this stream's key plus `path`.
    public func child(_ path: UInt64...) -> RandomStream {
        RandomStream(path: [key] + path)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(UInt64.self, forKey: .key)
        counterLo = try c.decode(UInt64.self, forKey: .counterLo)
        counterHi = try c.decode(UInt64.self, forKey: .counterHi)
        let u = try c.decode(Int.self, forKey: .used)
        used = 4
        if u < 4 {
            // Re-derive the block the counter points at (the counter was advanced after filling it).
            counterLo &-= 1
            if counterLo == UInt64.max { counterHi &-= 1 }
            refill()
            used = u
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(counterLo, forKey: .counterLo)
        try c.encode(counterHi, forKey: .counterHi)
        try c.encode(used, forKey: .used)
    }

    public static func == (a: RandomStream, b: RandomStream) -> Bool {
        a.key == b.key && a.counterLo == b.counterLo && a.counterHi == b.counterHi && a.used == b.used
    }

    @inline(__always)
    private static func mulhilo(_ a: UInt32, _ b: UInt32) -> (UInt32, UInt32) {
        let p = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p >> 32), UInt32(truncatingIfNeeded: p))
    }

    private mutating func refill() {
        var c0 = UInt32(truncatingIfNeeded: counterLo), c1 = UInt32(truncatingIfNeeded: counterLo >> 32)
        var c2 = UInt32(truncatingIfNeeded: counterHi), c3 = UInt32(truncatingIfNeeded: counterHi >> 32)
        var k0 = UInt32(truncatingIfNeeded: key), k1 = UInt32(truncatingIfNeeded: key >> 32)
        for _ in 0..<10 {
            let (hi0, lo0) = RandomStream.mulhilo(0xD251_1F53, c0)
            let (hi1, lo1) = RandomStream.mulhilo(0xCD9E_8D57, c2)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
            k0 &+= 0x9E37_79B9
            k1 &+= 0xBB67_AE85
        }
        buffer = (c0, c1, c2, c3)
        used = 0
        counterLo &+= 1
        if counterLo == 0 { counterHi &+= 1 }
    }

    /// Next 32 random bits.
    @inline(__always)
    public mutating func nextUInt32() -> UInt32 {
        if used == 4 { refill() }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    public mutating func next() -> UInt64 {
        UInt64(nextUInt32()) << 32 | UInt64(nextUInt32())
    }

    /// Uniform in [0, 1) with 24 random bits (every Float32 value on the 2^-24 grid).
    @inline(__always)
    public mutating func uniform() -> Float {
        Float(nextUInt32() >> 8) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [lo, hi).
    @inline(__always)
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * uniform()
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal by Box–Muller (one value per call; deterministic, no cached second value).
    public mutating func normal() -> Float {
        let u1 = max(uniformDouble(), 1e-300)
        let u2 = uniformDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Integer uniform in 0..<n (Lemire's method, unbiased).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below:) needs n > 0")
        return Int(truncatingIfNeeded: UInt64.random(in: 0..<UInt64(n), using: &self))
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            p.swapAt(i, j)
        }
        return p
    }

    /// Bernoulli(p).
    public mutating func bernoulli(_ p: Float) -> Bool { uniform() < p }
}

