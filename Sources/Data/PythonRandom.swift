// CPython's `random` module generator (MT19937 seeded through init_by_array) and `random.shuffle`,
// bit-exact, so the shuffled HTA splits of DAM-VP (`random.seed(2023)` then `random.shuffle` in
// `data_utils/datasets/{gtsrb,food101}/dataset.py`) get exactly the official membership.
// Reference: CPython `Modules/_randommodule.c` (init_genrand, init_by_array, genrand_uint32,
// random_seed for int seeds) and `Lib/random.py` (`_randbelow_with_getrandbits`, `shuffle`).

/// Python's `random.Random` for integer seeds (the only seeding the official codes use).
public struct PythonRandom: Sendable {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.seed(seed)` for an int: the absolute value is split into 32-bit words, least significant
    /// first (`[0]` for 0), and fed to init_by_array.
    public init(seed: Int) {
        var n = seed.magnitude
        var key: [UInt32] = []
        repeat { key.append(UInt32(truncatingIfNeeded: n)); n >>= 32 } while n != 0
        initGenrand(19_650_218)
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
        }
        mt[0] = 0x8000_0000
        index = 624
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<624 { mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i) }
        index = 624
    }

    /// genrand_uint32.
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7FFF_FFFF)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
            }
            index = 0
        }
        var y = mt[index]; index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `getrandbits(k)` for 1 ≤ k ≤ 32.
    public mutating func getrandbits(_ k: Int) -> UInt32 {
        precondition(k >= 1 && k <= 32, "getrandbits: only 1...32 bits are needed here")
        return nextUInt32() >> UInt32(32 - k)
    }

    /// `_randbelow_with_getrandbits(n)`: rejection sampling on `n.bit_length()` bits.
    public mutating func randbelow(_ n: Int) -> Int {
        precondition(n > 0 && n <= Int(UInt32.max), "randbelow: n out of range")
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = Int(getrandbits(k))
        while r >= n { r = Int(getrandbits(k)) }
        return r
    }

    /// `random.shuffle(x)`: for i from len-1 down to 1, swap x[i] with x[randbelow(i+1)].
    public mutating func shuffle<T>(_ x: inout [T]) {
        if x.count < 2 { return }
        for i in stride(from: x.count - 1, through: 1, by: -1) {
            x.swapAt(i, randbelow(i + 1))
        }
    }
}
