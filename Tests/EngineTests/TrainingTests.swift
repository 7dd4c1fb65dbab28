import XCTest
@testable import Engine
import Random

func trainTiny(threads: Int, steps: Int = 150) -> (accuracy: Double, losses: [Float], params: [Float]) {
    Threads.set(threads)
    let r = TinyAttentionNet.train(steps: steps)
    return (r.accuracy, r.losses, r.net.parameters.flatMap { $0.value.scalars })
}

final class TrainingTests: XCTestCase {
    func testTinyAttentionNetLearnsToyTask() {
        let r = trainTiny(threads: 1)
        XCTAssertGreaterThan(r.accuracy, 0.95, "train accuracy \(r.accuracy); losses \(r.losses.suffix(5))")
        XCTAssertLessThan(r.losses.suffix(10).reduce(0, +) / 10, r.losses.prefix(10).reduce(0, +) / 10 / 3)
    }

    /// Same seed + same thread count = the same bits, for 1 and 2 threads.
    func testTrainingIsBitIdenticalForAFixedThreadCount() {
        for t in [1, 2] {
            let a = trainTiny(threads: t, steps: 30), b = trainTiny(threads: t, steps: 30)
            XCTAssertEqual(a.losses.map(\.bitPattern), b.losses.map(\.bitPattern), "losses differ with \(t) threads")
            XCTAssertEqual(a.params.map(\.bitPattern), b.params.map(\.bitPattern), "parameters differ with \(t) threads")
        }
        Threads.set(1)
    }

    func testGraphIsReleasedAfterBackward() {
        Threads.set(1)
        let net = TinyAttentionNet(classes: 4, seed: 1)
        let (x, y) = QuadrantTask.make(16, seed: 2)
        let before = Memory.liveBytes
        for _ in 0..<3 {
            let loss = Tensor.crossEntropy(net(x), labels: y)
            loss.backward()
            for p in net.parameters { p.value.grad = nil }
        }
        XCTAssertEqual(Memory.liveBytes, before, "activations or gradients leaked")
    }

    func testDropoutKeepsExpectationAndIsSeeded() {
        var r1 = RandomStream(1, 2), r2 = RandomStream(1, 2)
        let x = Tensor(repeating: 1, shape: [100_000])
        let a = withoutGrad { x.dropout(0.25, rng: &r1) }, b = withoutGrad { x.dropout(0.25, rng: &r2) }
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertEqual(Double(a.scalars.reduce(0, +)) / 100_000, 1, accuracy: 0.01)
        XCTAssertEqual(Double(a.scalars.filter { $0 == 0 }.count) / 100_000, 0.25, accuracy: 0.01)
        var r3 = RandomStream(3)
        let p = withoutGrad { Tensor(repeating: 1, shape: [1000, 4]).dropPath(0.5, rng: &r3) }
        for i in 0..<1000 { XCTAssertEqual(Set(p.scalars[(i * 4)..<(i * 4 + 4)]).count, 1, "drop-path must act per sample") }
    }
}
