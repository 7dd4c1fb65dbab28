import XCTest
@testable import Engine

/// Nodes keep only what backward needs: a frozen layer's input and an add's operands are not retained.
final class ActivationMemoryTests: XCTestCase {
    func testFrozenResidualChainRetainsNoActivations() {
        Threads.set(1)
        let w = randomTensor([64, 64], seed: 1, -0.1, 0.1)  // frozen weight
        let x0 = randomTensor([32, 64], seed: 2).requiringGrad()
        let before = Memory.liveBytes
        var x = x0
        for _ in 0..<10 { x = Tensor.linear(x, w) + x }
        // Only the current output is alive (the frozen linears' inputs and the adds' operands were dropped).
        XCTAssertLessThanOrEqual(Memory.liveBytes - before, 32 * 64 * 4)
        x.sum().backward()
        // d/dx0 of Σ (W + I)^10 x: ones · ((Wᵀ + I)^10) per row, computed directly.
        var g = Tensor(repeating: 1, shape: [32, 64])
        withoutGrad { for _ in 0..<10 { g = Tensor.matmul(g, w) + g } }
        assertClose(x0.grad!, g, rtol: 1e-5, atol: 1e-5, "dx0")
    }
}

final class BufferCacheTests: XCTestCase {
    func testReusedBuffersKeepAccountingAndResults() {
        Threads.set(1)
        let before = Memory.liveBytes
        func step() -> [Float] {
            let x = randomTensor([64, 4096], seed: 3).requiringGrad()  // 1 MiB: mapped, cached on free
            let y = (x.gelu() + x).sum()
            y.backward()
            return x.grad!.scalars
        }
        let a = step(), b = step()
        XCTAssertEqual(a, b)  // stale contents of reused buffers never leak into results
        XCTAssertEqual(Memory.liveBytes, before)
        BufferCache.purge()
        XCTAssertEqual(BufferCache.cachedBytes, 0)
    }

    /// The cache never lets live + cached bytes climb past the largest live footprint: after a workload of one set
    /// of shapes is freed into the cache, a workload of other shapes (a smaller last batch, eval after training)
    /// evicts cached buffers instead of mapping fresh memory on top of them.
    func testCacheStaysUnderTheLiveHighWaterMark() {
        Threads.set(1)
        BufferCache.purge()
        let base = Memory.liveBytes
        func footprint() -> Int { Memory.liveBytes + BufferCache.cachedBytes - base }
        var first: [Tensor]? = (0..<24).map { Tensor(zeros: [256, 1024 + $0 % 8]) }  // ~24 MiB live, 8 distinct sizes
        let peak = footprint()
        first = nil
        XCTAssertNil(first)
        XCTAssertEqual(BufferCache.cachedBytes, peak, "freed buffers are cached")
        var worst = 0
        var second: [Tensor] = []
        for i in 0..<24 {
            second.append(Tensor(zeros: [200, 1300 + i]))  // other sizes: every allocation misses
            worst = max(worst, footprint())
        }
        let slack = BufferCache.slackBuffers * 200 * 1323 * 4  // two of the largest buffer seen
        XCTAssertLessThanOrEqual(worst, peak + slack + 200 * 1323 * 4, "live + cached stays within the high-water mark, its slack and one buffer")
        XCTAssertLessThan(BufferCache.cachedBytes, peak, "misses evicted cached buffers")
        // Hits still reuse: the first workload's sizes come back from the cache when it holds them.
        second = []
        let again = Tensor(zeros: [200, 1300])
        XCTAssertEqual(again.count, 200 * 1300)
        XCTAssertLessThanOrEqual(footprint(), peak + slack + 200 * 1323 * 4)
        BufferCache.purge()
    }
}
