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

    /// A miss for a mapped size takes its pages from cached mapped buffers of other sizes (moved, not copied: their
    /// contents come along, and no fresh page is mapped); what is left of a split buffer stays cached, and a buffer
    /// built from several moved pieces can itself be moved again later.
    func testMissesMovePagesFromCachedBuffersOfOtherSizes() {
        Threads.set(1)
        BufferCache.purge()
        let mib = 1 << 18  // floats per MiB
        var first: [Tensor]? = (0..<3).map { Tensor(repeating: Float($0 + 1), shape: [4 * mib]) }
        XCTAssertEqual(first?.count, 3)
        first = nil
        XCTAssertEqual(BufferCache.cachedBytes, 12 << 20)
        let fresh = BufferCache.freshBytes
        // 5 MiB: a whole 4 MiB buffer, then 1 MiB split off another (its 3 MiB rest stays cached).
        var b: Tensor? = Tensor(uninitialized: [5 * mib])
        XCTAssertEqual(BufferCache.freshBytes, fresh, "built from cached pages only")
        XCTAssertEqual(BufferCache.cachedBytes, 7 << 20)
        for i in 0..<b!.count { b!.data[i] = Float(i % 1000) }
        b = nil
        // 8 MiB: the two-piece 5 MiB buffer, then the 3 MiB rest: three moves, still no fresh page.
        let c = Tensor(uninitialized: [8 * mib])
        XCTAssertEqual(BufferCache.freshBytes, fresh, "built from cached pages only")
        XCTAssertEqual(BufferCache.cachedBytes, 4 << 20)
        var same = true
        for i in 0..<(5 * mib) where c.data[i] != Float(i % 1000) { same = false; break }
        XCTAssertTrue(same, "the moved pages kept their contents")
        for i in 0..<c.count { c.data[i] = 2 }
        XCTAssertEqual(c.scalars.reduce(0, +), Float(2 * 8 * mib))
        // Beyond what the cache holds: the rest is mapped fresh.
        let d = Tensor(repeating: 3, shape: [6 * mib])
        XCTAssertEqual(BufferCache.freshBytes, fresh + (2 << 20))
        XCTAssertEqual(d.scalars.reduce(0, +), Float(3 * 6 * mib))
        BufferCache.purge()
        XCTAssertEqual(BufferCache.cachedBytes, 0)
    }

    /// A cycle of steps whose sizes differ between phases maps nothing fresh once the cache holds its pages.
    func testAlternatingSizesStopMappingAfterTheFirstCycle() {
        Threads.set(1)
        BufferCache.purge()
        func cycle() {
            var forward: [Tensor] = (0..<6).map { _ in Tensor(zeros: [3 << 18]) }  // 6 × 3 MiB
            forward.removeLast(3)
            let backward: [Tensor] = (0..<2).map { _ in Tensor(zeros: [7 << 18]) }  // 2 × 7 MiB beside 3 × 3 MiB
            XCTAssertEqual(backward.count + forward.count, 5)
        }
        cycle()
        let fresh = BufferCache.freshBytes
        for _ in 0..<3 { cycle() }
        XCTAssertEqual(BufferCache.freshBytes, fresh)
        BufferCache.purge()
    }
}
