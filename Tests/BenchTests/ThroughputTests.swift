import Backbones
@testable import Bench
import Engine
import Foundation
import Tabular
import XCTest

final class ThroughputTests: XCTestCase {
    func testFLOPModelMatchesViTB16() {
        // The figure: 35.1 GFLOP per image for ViT-B/16 inference.
        XCTAssertEqual(Throughput.vitForwardFLOPs(.vitB16()) / 1e9, 35.1, accuracy: 0.05)
    }

    func testMeasuresMethodsOnMiniViTAndAppendsCSV() throws {
        let saved = Threads.count
        defer { Threads.set(saved) }
        Threads.set(1)
        var results: [ThroughputResult] = []
        for id in ["vpt-deep", "linear", "full"] {
            let r = try Throughput.measure(method: id, backbone: "vit-mini", batch: 4, steps: 1, warmup: 1, classes: 10)
            XCTAssertEqual(r.method, id)
            XCTAssertEqual(r.threads, 1)
            XCTAssertGreaterThan(r.trainImagesPerSecond, 0)
            XCTAssertGreaterThan(r.evalImagesPerSecond, 0)
            XCTAssertGreaterThan(r.forwardMs, 0)
            XCTAssertGreaterThan(r.trainableParameters, 0)
            XCTAssertGreaterThan(r.peakTensorBytes, 0)
            if FileManager.default.fileExists(atPath: "/proc/self/status") { XCTAssertNotNil(r.peakRSSBytes) }
            results.append(r)
        }
        XCTAssertLessThan(results[1].trainableParameters, results[0].trainableParameters + 1)
        XCTAssertGreaterThan(results[2].trainableParameters, results[0].trainableParameters)

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("throughput-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let machine = MachineInfo.current()
        let url = Throughput.csvURL(root: root, machine: machine)
        XCTAssertTrue(url.path.contains("results/throughput/"))
        XCTAssertTrue(url.lastPathComponent.hasSuffix("-t\(machine.threads).csv"))
        try Throughput.append(Array(results.prefix(2)), to: url, machine: machine)
        try Throughput.append([results[2]], to: url, machine: machine)
        let (header, records) = try CSVReader.read(file: url.path)
        XCTAssertEqual(header, Throughput.csvHeader)
        XCTAssertEqual(records.map { $0.fields[5] }, ["vpt-deep", "linear", "full"])
        let md = Throughput.markdown(results)
        XCTAssertEqual(md.split(separator: "\n").count, 5)
        XCTAssertTrue(md.contains("| vpt-deep | vit-mini | 4 | 1 |"))
    }

    func testUnknownBackboneAndMethodThrow() {
        XCTAssertThrowsError(try Throughput.measure(method: "vpt-deep", backbone: "resnet-9", batch: 1, steps: 1))
        XCTAssertThrowsError(try Throughput.measure(method: "nope", backbone: "vit-mini", batch: 1, steps: 1))
    }
}
