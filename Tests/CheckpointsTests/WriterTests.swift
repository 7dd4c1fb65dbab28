import Foundation
import XCTest
@testable import Checkpoints

/// Our writers round-trip through our readers, and leave files for make_checkpoints.py --verify.
final class WriterTests: XCTestCase {
    /// Tensors covering every dtype the writers accept, with awkward shapes (scalar, empty, 1-d).
    func sampleTensors() -> [StoredTensor] {
        let ramp = (0..<24).map { Float($0) * 0.37 - 1.5 }
        return [
            StoredTensor(name: "blocks.0.w", shape: [2, 3, 4], floats: ramp),
            StoredTensor(name: "half", dtype: .f16, shape: [5], converting: [0.5, -2, 65504, 1e-7, 3.14159]),
            StoredTensor(name: "bf", dtype: .bf16, shape: [2, 2], converting: [1.5, -0.1, 3e38, 7]),
            StoredTensor(name: "ids", shape: [3], int64s: [-7, 0, 1 << 40 + 3]),
            StoredTensor(name: "scalar", shape: [], floats: [2.5]),
            StoredTensor(name: "empty", shape: [0, 3], floats: []),
        ]
    }

    func assertSame(_ a: StoredTensor, _ b: StoredTensor?, file: StaticString = #filePath, line: UInt = #line) throws {
        let b = try XCTUnwrap(b, "missing \(a.name)", file: file, line: line)
        XCTAssertEqual(a.dtype, b.dtype, a.name, file: file, line: line)
        XCTAssertEqual(a.shape, b.shape, a.name, file: file, line: line)
        XCTAssertEqual(Data(a.data), Data(b.data), a.name, file: file, line: line)
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    func testHalfAndBF16Rounding() throws {
        let h = StoredTensor(name: "h", dtype: .f16, shape: [6], converting: [1, 1.0009765625, 65520, 6e-8, -0.0, 2049])
        // 65520 rounds up to inf in half; 2049 is a tie that rounds to even (2048).
        XCTAssertEqual(try h.floats(), [1, 1.0009765625, .infinity, 5.9604645e-08, -0.0, 2048])
        let b = StoredTensor(name: "b", dtype: .bf16, shape: [2], converting: [1.00390625, 1.01171875])
        XCTAssertEqual(try b.floats(), [1.0, 1.015625])  // ties to even
    }

    func testNpyRoundTripAllDtypes() throws {
        let dir = try tempDir()
        var tensors = sampleTensors().filter { $0.dtype != .bf16 }
        tensors.append(StoredTensor(name: "mask", dtype: .bool, shape: [3], converting: [1, 0, 1]))
        tensors.append(StoredTensor(name: "bytes", dtype: .u8, shape: [2, 2], converting: [0, 1, 128, 255]))
        tensors.append(StoredTensor(name: "i32", dtype: .i32, shape: [2], converting: [-5, 7]))
        tensors.append(StoredTensor(name: "f64", dtype: .f64, shape: [2], converting: [0.1, -3]))
        for t in tensors {
            let url = dir.appendingPathComponent(t.name + ".npy")
            try Npy.write(t, to: url)
            let back = try Npy.load(url)
            try assertSame(t, back)
            XCTAssertEqual(back.name, t.name)
        }
        assertCheckpointError(.unsupportedDType, naming: "bf.npy") {
            try Npy.write(StoredTensor(name: "bf", dtype: .bf16, shape: [1], converting: [1]), to: dir.appendingPathComponent("bf.npy"))
        }
    }

    func testNpyV2HeaderRoundTrip() throws {
        // A 40000-dim shape of ones forces a header above 65535 bytes, so the writer must use version 2.
        let t = StoredTensor(name: "deep", shape: [Int](repeating: 1, count: 40_000), floats: [4.25])
        let bytes = try Npy.encode(t)
        XCTAssertEqual(bytes[6], 2)
        XCTAssertEqual((bytes.count - 4) % 64, 0)
        try assertSame(t, try Npy.read(bytes, name: "deep", file: "mem"))
    }

    func testNpzRoundTripStoredAndCompressed() throws {
        let dir = try tempDir()
        let tensors = sampleTensors().filter { $0.dtype != .bf16 }
        for compressed in [false, true] {
            let url = dir.appendingPathComponent("w\(compressed).npz")
            try Npz.write(tensors, to: url, compressed: compressed)
            let c = try loadCheckpoint(url)
            XCTAssertEqual(c.format, .npz)
            XCTAssertEqual(c.names, tensors.map(\.name))
            for t in tensors { try assertSame(t, c[t.name]) }
        }
    }

    func testSafetensorsRoundTripAndLayout() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.safetensors")
        let tensors = sampleTensors()
        try Safetensors.write(tensors, metadata: ["format": "pt", "note": "quote\" and \\ slash"], to: url)
        let raw = try Data(contentsOf: url)
        let headerLength = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0)
        let c = try loadCheckpoint(url)
        XCTAssertEqual(c.format, .safetensors)
        XCTAssertEqual(c.metadata, ["format": "pt", "note": "quote\" and \\ slash"])
        XCTAssertEqual(Set(c.names), Set(tensors.map(\.name)))
        for t in tensors { try assertSame(t, c[t.name]) }
        // Descending alignment keeps every tensor aligned to its element size within the data section.
        XCTAssertEqual(c.names.first, "ids")
    }

    /// A safetensors header length whose low byte is 0x80 makes the file start like a pickle (0x80);
    /// the format sniffing must still pick safetensors (a 100 MB resnet50 export hit this).
    func testSafetensorsWhoseFirstByteIsPickleProtocol() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("p.safetensors")
        for pad in 0..<300 {
            try Safetensors.write(sampleTensors(), metadata: ["pad": String(repeating: "x", count: pad)], to: url)
            guard try Data(contentsOf: url).first == 0x80 else { continue }
            XCTAssertEqual(try loadCheckpoint(url).format, .safetensors)
            return
        }
        XCTFail("no padding produced a header length with low byte 0x80")
    }

    /// Leaves our writers' output in $TMPDIR/vpt-ckpt-swift-out for
    /// `python3 Tests/Fixtures/checkpoints/make_checkpoints.py --verify $TMPDIR/vpt-ckpt-swift-out`.
    func testWritersOutputForPython() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpt-ckpt-swift-out")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tensors = sampleTensors()
        let npyable = tensors.filter { $0.dtype != .bf16 }
        var expected: [String: [String: [String: Any]]] = [:]
        func describe(_ ts: [StoredTensor]) throws -> [String: [String: Any]] {
            var out: [String: [String: Any]] = [:]
            for t in ts {
                let values: [String] = t.dtype.isFloatingPoint ? try t.floats().map { "\(Double($0))" } : try t.int64s().map { "\($0)" }
                out[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "values": values]
            }
            return out
        }
        try Safetensors.write(tensors, metadata: ["format": "pt"], to: dir.appendingPathComponent("swift.safetensors"))
        expected["swift.safetensors"] = try describe(tensors)
        try Npz.write(npyable, to: dir.appendingPathComponent("swift.npz"), compressed: true)
        expected["swift.npz"] = try describe(npyable)
        for t in npyable {
            try Npy.write(t, to: dir.appendingPathComponent("swift_\(t.name).npy"))
            var e = try describe([t])
            e[""] = e.removeValue(forKey: t.name)
            expected["swift_\(t.name).npy"] = e
        }
        let json = try JSONSerialization.data(withJSONObject: expected, options: [.sortedKeys])
        try json.write(to: dir.appendingPathComponent("swift_expected.json"))
        XCTAssertEqual(try loadCheckpoint(dir.appendingPathComponent("swift.safetensors")).names.count, tensors.count)
    }
}
