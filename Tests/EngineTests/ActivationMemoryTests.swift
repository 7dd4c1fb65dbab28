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
