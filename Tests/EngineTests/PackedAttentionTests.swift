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

    func testMatchesReferenceOneThread() { run(threads: 1, mask: false) }
    func testMatchesReferenceTwoThreadsWithMask() { run(threads: 2, mask: true) }
    func testCLSQueryOnly() { run(threads: 2, mask: true, queries: 1); run(threads: 1, mask: false, queries: 2) }
}
