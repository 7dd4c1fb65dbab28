import XCTest
import Foundation
@testable import Data

final class BuiltinDatasetTests: XCTestCase {
    func testSplitSizesAndDeterminism() throws {
        for task in BuiltinTask.allCases {
            let sizes = VTABSplit.allCases.map { BuiltinDataset(task: task, split: $0, seed: 3).count }
            XCTAssertEqual(sizes, [800, 200, 1000, 1000], task.rawValue)
            let a = BuiltinDataset(task: task, split: .val200, seed: 3)
            let b = BuiltinDataset(task: task, split: .train800val200, seed: 3)
            // val200 sample k is train800val200 sample 800 + k, pixel for pixel, and reproducible.
            XCTAssertEqual(try a.image(5), try b.image(805), task.rawValue)
            XCTAssertEqual(a.label(5), b.label(805))
            XCTAssertEqual(try a.image(5), try BuiltinDataset(task: task, split: .val200, seed: 3).image(5))
            XCTAssertNotEqual(try a.image(5), try BuiltinDataset(task: task, split: .val200, seed: 4).image(5))
            let img = try a.image(0)
            XCTAssertEqual([img.width, img.height, img.channels], [32, 32, 3])
        }
    }

    func testClassBalanceAndNotTrivial() throws {
        for task in BuiltinTask.allCases {
            let train = BuiltinDataset(task: task, split: .train800, seed: 0)
            let test = BuiltinDataset(task: task, split: .test, seed: 0)
            var counts = [Int](repeating: 0, count: task.numClasses)
            for i in 0..<test.count { counts[test.label(i)] += 1 }
            let expected = Double(test.count) / Double(task.numClasses)
            XCTAssertGreaterThan(Double(counts.min()!), expected * 0.8, "\(task) class counts \(counts)")
            XCTAssertLessThan(Double(counts.max()!), expected * 1.2, "\(task) class counts \(counts)")
            // Nearest class mean on raw pixels: a crude linear probe. It must not already solve the task.
            let D = 32 * 32 * 3
            var means = [[Double]](repeating: [Double](repeating: 0, count: D), count: task.numClasses)
            var n = [Double](repeating: 0, count: task.numClasses)
            for i in 0..<train.count {
                let px = try train.image(i).pixels, l = train.label(i)
                for d in 0..<D { means[l][d] += Double(px[d]) }
                n[l] += 1
            }
            for c in 0..<task.numClasses where n[c] > 0 { for d in 0..<D { means[c][d] /= n[c] } }
            var correct = 0
            for i in 0..<200 {
                let px = try test.image(i).pixels
                var best = 0, bestD = Double.infinity
                for c in 0..<task.numClasses {
                    var s = 0.0
                    for d in 0..<D { let e = Double(px[d]) - means[c][d]; s += e * e }
                    if s < bestD { bestD = s; best = c }
                }
                if best == test.label(i) { correct += 1 }
            }
            let acc = Double(correct) / 200
            print("builtin \(task.rawValue): nearest-class-mean accuracy \(acc) (chance \(1.0 / Double(task.numClasses)))")
            XCTAssertLessThan(acc, 0.9, task.rawValue)
        }
    }

    func testGenerationIsFast() throws {
        let t0 = Date()
        for split in VTABSplit.allCases where split != .train800val200 {
            let d = BuiltinDataset(task: .scenes, split: split, seed: 1)
            for i in 0..<d.count { _ = try d.image(i) }
        }
        let dt = Date().timeIntervalSince(t0)
        print("builtin scenes: 2000 images in \(dt) s")
        XCTAssertLessThan(dt, 2.0)
    }
}
