import XCTest
@testable import Data

final class LoaderTests: XCTestCase {
    func collect(_ l: DataLoader, epoch: Int) throws -> [Batch] {
        let it = l.batches(epoch: epoch)
        var out: [Batch] = []
        while let b = try it.next() { out.append(b) }
        return out
    }

    func testBatchesIdenticalAcrossThreadCounts() throws {
        let ds = BuiltinDataset(task: .shapes, split: .val200, seed: 1, size: 40)
        let p = try Pipeline.make("vpt-fgvc", size: 32)   // random crop + flip: augmentation matters
        var o = LoaderOptions(batchSize: 16, dropLast: false, train: true, seed: 9, threads: 1, prefetch: 1)
        let one = try collect(DataLoader(dataset: ds, pipeline: p, options: o), epoch: 2)
        o.threads = 3; o.prefetch = 3; o.cache = true
        let three = DataLoader(dataset: ds, pipeline: p, options: o)
        XCTAssertEqual(one, try collect(three, epoch: 2))
        XCTAssertEqual(one, try collect(three, epoch: 2)) // second pass served from the cache
        XCTAssertEqual(one.count, 13)
        XCTAssertEqual(one.last!.shape, [8, 3, 32, 32])
        XCTAssertEqual(Set(one.flatMap(\.indices)), Set(0..<200))
        XCTAssertNotEqual(one.map(\.indices), try collect(three, epoch: 3).map(\.indices))
        o.dropLast = true
        XCTAssertEqual(try collect(DataLoader(dataset: ds, pipeline: p, options: o), epoch: 0).count, 12)
    }

    func testClassBalancedSampler() throws {
        let ds = BuiltinDataset(task: .shapes, split: .train800, seed: 1)
        let o = LoaderOptions(batchSize: 8, classBalanced: true)
        let plan = DataLoader(dataset: ds, pipeline: try Pipeline.make("builtin", size: 32), options: o).plan(epoch: 0)
        XCTAssertEqual(plan.count, 100)
        for b in plan {
            let labels = b.map { ds.label($0) }
            XCTAssertEqual(Set(labels).count, 4)
            XCTAssertEqual(labels[0], labels[1]); XCTAssertEqual(labels[6], labels[7])
        }
    }
}
