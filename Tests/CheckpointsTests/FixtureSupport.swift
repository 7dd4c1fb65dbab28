import Foundation
import XCTest
@testable import Checkpoints

/// Committed fixtures written by Tests/Fixtures/checkpoints/make_checkpoints.py.
let fixturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/checkpoints")

func fixture(_ name: String) -> URL { fixturesDir.appendingPathComponent(name) }

/// expected.json: file -> tensor name -> {dtype, shape, values}.
func expectedTensors(_ file: String) throws -> [String: [String: Any]] {
    let data = try Data(contentsOf: fixture("expected.json"))
    let all = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try XCTUnwrap(all[file] as? [String: [String: Any]], "no expectations for \(file)")
}

/// Compares one loaded tensor with its expectation exactly (no tolerance).
func assertTensor(_ t: StoredTensor?, _ e: [String: Any], _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let t = try XCTUnwrap(t, "missing tensor \(label)", file: file, line: line)
    XCTAssertEqual(t.dtype.rawValue, e["dtype"] as? String, "dtype of \(label)", file: file, line: line)
    XCTAssertEqual(t.shape, e["shape"] as? [Int], "shape of \(label)", file: file, line: line)
    // Values are decimal strings: Double(String) rounds correctly, Foundation's JSON number parsing does not.
    let values = try XCTUnwrap(e["values"] as? [String], file: file, line: line)
    if t.dtype == .f64 {
        XCTAssertEqual(try t.doubles(), values.map { Double($0) }, "values of \(label)", file: file, line: line)
    } else if t.dtype.isFloatingPoint {
        XCTAssertEqual(try t.floats().map(Double.init), values.map { Double($0) }, "values of \(label)", file: file, line: line)
    } else {
        XCTAssertEqual(try t.int64s(), values.map { Int64($0) }, "values of \(label)", file: file, line: line)
    }
}

/// Loads `file` with loadCheckpoint and checks the tensor set and every value against expected.json.
@discardableResult
func assertMatchesExpected(_ file: String, rename: (String) -> String = { $0 }, format: CheckpointFormat,
                           line: UInt = #line) throws -> Checkpoint {
    let ckpt = try loadCheckpoint(fixture(file))
    XCTAssertEqual(ckpt.format, format, file, line: line)
    let expected = try expectedTensors(file)
    XCTAssertEqual(Set(ckpt.names), Set(expected.keys.map(rename)), "tensor names of \(file)", line: line)
    for (name, e) in expected {
        try assertTensor(ckpt[rename(name)], e, "\(file):\(name)", line: line)
    }
    return ckpt
}

/// Asserts `body` throws a CheckpointError of `kind` whose description names `path`.
func assertCheckpointError<T>(_ kind: CheckpointError.Kind, naming path: String, _ body: () throws -> T,
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error", file: file, line: line)
    } catch let e as CheckpointError {
        XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
        XCTAssertTrue(e.description.contains(path), "error should name \(path): \(e)", file: file, line: line)
    } catch {
        XCTFail("expected CheckpointError, got \(error)", file: file, line: line)
    }
}
