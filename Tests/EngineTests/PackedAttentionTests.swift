import XCTest
@testable import Engine

/// The permute-free packed attention against the reference path (permute qkv → `attention` → permute back).
final class PackedAttentionTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    func reference(_ qkv: Tensor, heads: Int, mask: Tensor?, queries: Int? = nil) -> Tensor {
        let b = qkv.shape[0], n = qkv.shape[1], dim = qkv.shape[2] / 3
        let t = qkv.reshaped([b, n, 3, heads, dim / heads]).permuted(2, 0, 3, 1, 4)
        let p = t.split([1, 1, 1], axis: 0).map { $0.reshaped([b, heads, n, dim / heads]) }
        let o = Tensor.attention(p[0], p[1], p[2], mask: mask).transposed(1, 2).reshaped([b, n, dim])
        guard let queries else { return o }
        return o.slice(axis: 1, 0, queries)
    }

    func run(threads: Int, mask: Bool, queries: Int? = nil) {
        Threads.set(threads)
        let (b, n, h, d) = (3, 7, 2, 4)
        let x = randomTensor([b, n, 3 * h * d], seed: 11, -2, 2).requiringGrad()
        let m: Tensor? = mask ? randomTensor([b, 1, n, n], seed: 12, -1, 0) : nil
        let r = randomTensor([b, queries ?? n, h * d], seed: 13)
        let y = Tensor.packedAttention(x, heads: h, mask: m, queries: queries)
        (y * r).sum().backward()
        let gx = x.grad!.detached()
        x.grad = nil
        let y2 = reference(x, heads: h, mask: m, queries: queries)
        (y2 * r).sum().backward()
        assertClose(y, y2, rtol: 1e-5, atol: 1e-6, "packed out")
        assertClose(gx, x.grad!, rtol: 1e-5, atol: 1e-6, "packed dqkv")
        // Same thread count, same bits.
        x.grad = nil
        let y3 = Tensor.packedAttention(x, heads: h, mask: m, queries: queries)
        (y3 * r).sum().backward()
        XCTAssertEqual(y3.scalars, y.scalars)
        XCTAssertEqual(x.grad!.scalars, gx.scalars)
    }

    /// Shared prefix K/V tokens (E2VPT): equal to concatenating them to every image's keys and values, before or
    /// after the own keys, with gradients for the prefix summed over the batch; shared K = V tensor included.
    func runPrefix(threads: Int, first: Bool, shared: Bool, queries: Int? = nil) {
        Threads.set(threads)
        let (b, n, h, d, np) = (3, 6, 2, 4, 3)
        let x = randomTensor([b, n, 3 * h * d], seed: 21, -2, 2).requiringGrad()
        let pk = randomTensor([h, np, d], seed: 22).requiringGrad()
        let pv = shared ? pk : randomTensor([h, np, d], seed: 23).requiringGrad()
        let r = randomTensor([b, queries ?? n, h * d], seed: 24)
        let y = Tensor.packedAttention(x, heads: h, queries: queries, prefix: (pk, pv), prefixFirst: first)
        (y * r).sum().backward()
        let (gx, gk, gv) = (x.grad!.detached(), pk.grad!.detached(), pv.grad!.detached())
        x.grad = nil; pk.grad = nil; pv.grad = nil
        // Reference: permute qkv, concatenate the expanded prefix along the key axis, plain attention.
        let t = x.reshaped([b, n, 3, h, d]).permuted(2, 0, 3, 1, 4)
        let p = t.split([1, 1, 1], axis: 0).map { $0.reshaped([b, h, n, d]) }
        let ek = pk.reshaped([1, h, np, d]).expand([b, h, np, d]), ev = pv.reshaped([1, h, np, d]).expand([b, h, np, d])
        let k = Tensor.concat(first ? [ek, p[1]] : [p[1], ek], axis: 2), v = Tensor.concat(first ? [ev, p[2]] : [p[2], ev], axis: 2)
        var y2 = Tensor.attention(p[0], k, v, mask: nil).transposed(1, 2).reshaped([b, n, h * d])
        if let queries { y2 = y2.slice(axis: 1, 0, queries) }
        (y2 * r).sum().backward()
        assertClose(y, y2, rtol: 1e-5, atol: 1e-6, "prefix out")
        assertClose(gx, x.grad!, rtol: 1e-5, atol: 1e-6, "prefix dqkv")
        assertClose(gk, pk.grad!, rtol: 1e-5, atol: 1e-6, "prefix dK")
        assertClose(gv, pv.grad!, rtol: 1e-5, atol: 1e-6, "prefix dV")
    }

    func testPrefixKeyValues() {
        runPrefix(threads: 1, first: true, shared: false)
        runPrefix(threads: 2, first: false, shared: false)
        runPrefix(threads: 2, first: true, shared: true, queries: 1)
    }

    func testPrefixGradientsByFiniteDifferences() {
        Threads.set(1)
        checkGradients([randomTensor([2, 3, 12], seed: 31), randomTensor([2, 2, 3], seed: 32), randomTensor([2, 2, 3], seed: 33)]) {
            Tensor.packedAttention($0[0], heads: 2, prefix: ($0[1], $0[2]))
        }
    }

    func testMatchesReferenceOneThread() { run(threads: 1, mask: false) }
    func testMatchesReferenceTwoThreadsWithMask() { run(threads: 2, mask: true) }
    func testCLSQueryOnly() { run(threads: 2, mask: true, queries: 1); run(threads: 1, mask: false, queries: 2) }
}
