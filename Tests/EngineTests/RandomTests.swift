import XCTest
@testable import Random

final class RandomTests: XCTestCase {
    func testStreamsAreReproducibleAndDistinct() {
        var a = RandomStream(1, 2, 3), b = RandomStream(1, 2, 3), c = RandomStream(1, 2, 4)
        let xa = (0..<16).map { _ in a.nextUInt32() }
        let xb = (0..<16).map { _ in b.nextUInt32() }
        let xc = (0..<16).map { _ in c.nextUInt32() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
    }

    func testUniformAndNormalMoments() {
        var r = RandomStream(7)
        let n = 200_000
        var s = 0.0, s2 = 0.0, u = 0.0
        for _ in 0..<n { let x = Double(r.normal()); s += x; s2 += x * x; u += Double(r.uniform()) }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.02)
        XCTAssertEqual(u / Double(n), 0.5, accuracy: 0.005)
    }

    func testPermutationIsAPermutation() {
        var r = RandomStream(3)
        let p = r.permutation(1000)
        XCTAssertEqual(Set(p).count, 1000)
        XCTAssertNotEqual(p, Array(0..<1000))
    }

    func testCodableResumesMidBlock() throws {
        var r = RandomStream(9, 9)
        _ = r.nextUInt32(); _ = r.nextUInt32()
        let data = try JSONEncoder().encode(r)
        var restored = try JSONDecoder().decode(RandomStream.self, from: data)
        XCTAssertEqual((0..<10).map { _ in r.nextUInt32() }, (0..<10).map { _ in restored.nextUInt32() })
    }
}
