import Foundation
import XCTest
@testable import Checkpoints

/// Every committed fixture loads and matches the values Python recorded, exactly.
final class FixtureReadTests: XCTestCase {
    func testNpzStoredAndDeflated() throws {
        for f in ["vit_stored.npz", "vit_deflated.npz"] {
            let c = try assertMatchesExpected(f, format: .npz)
            XCTAssertEqual(c["Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel"]?.shape, [8, 2, 4])
        }
    }

    func testNpyAllDtypesAndV2Header() throws {
        for f in ["f4_2x3.npy", "f8_scalar.npy", "i8_vec.npy", "i4_2x2.npy", "u1_vec.npy", "b1_vec.npy", "f2_vec.npy", "v2_long_header.npy"] {
            let stem = String(f.dropLast(4))
            try assertMatchesExpected(f, rename: { _ in stem }, format: .npy)
        }
        XCTAssertEqual(try Npy.load(fixture("f8_scalar.npy")).shape, [])
    }

    func testSafetensorsWithMetadata() throws {
        let c = try assertMatchesExpected("mixed.safetensors", format: .safetensors)
        XCTAssertEqual(c.metadata["format"], "pt")
        XCTAssertEqual(c.metadata["source"], "make_checkpoints.py")
        XCTAssertEqual(c.summary.tensorsByDType[.bf16], 1)
    }

    func testTorchZipStateDictWithViewsAndDtypes() throws {
        let c = try assertMatchesExpected("state_dict.pth", format: .torchZip)
        // transposed is stored with strides (1, 4); shared.offset shares shared.base's storage at offset 2.
        XCTAssertEqual(c["transposed"]?.shape, [4, 3])
        XCTAssertEqual(try c["shared.offset"]?.floats(), Array(try XCTUnwrap(c["shared.base"]).floats()[2..<5]))
        XCTAssertEqual(c["1.num_batches_tracked"]?.dtype, .i64)
        XCTAssertEqual(c["scalar"]?.shape, [])
    }

    func testTorchLegacyFormat() throws {
        let c = try assertMatchesExpected("legacy.pth", format: .torchLegacy)
        XCTAssertEqual(c.names.count, try expectedTensors("legacy.pth").count)
    }

    func testMocoCheckpointSkipsArgsAndUnwraps() throws {
        let c = try assertMatchesExpected("moco.pth.tar", format: .torchZip)
        XCTAssertEqual(c.metadata["epoch"], "3")
        XCTAssertEqual(c.metadata["arch"], "vit_small")
        XCTAssertTrue(c.skipped["args"]?.contains("argparse.Namespace") ?? false, "\(c.skipped)")
        let backbone = try c.unwrapped().strippingPrefixes()
        XCTAssertEqual(Set(backbone.names), ["blocks.0.w", "cls_token", "predictor.0.bias"])
        XCTAssertEqual(try backbone.tensor("cls_token").shape, [1, 1, 3])
        XCTAssertEqual(c.unwrapped().selecting(prefix: "module.base_encoder.").names, ["blocks.0.w", "cls_token"])
        XCTAssertTrue(c.summary.description.contains("skipped args"))
    }

    func testNumpyInsidePickle() throws {
        try assertMatchesExpected("numpy_in_pickle.pkl", format: .pickle)
        let v = try PickleReader.load(fixture("numpy_in_pickle.pkl"))
        XCTAssertEqual(v["labels"]?.items?.compactMap(\.intValue), [3, 8, 0])
        XCTAssertEqual(v["batch_label"]?.stringValue, "testing batch 1 of 1")
        XCTAssertEqual(v["data"]?.storedTensor?.shape, [3, 12])
    }

    func testMaliciousPicklesAreRefusedAndNeverRun() throws {
        let marker = "/tmp/vpt_bench_pwned"
        try? FileManager.default.removeItem(atPath: marker)
        for f in ["malicious.pkl", "malicious.pth"] {
            assertCheckpointError(.refusedGlobal, naming: f) { try loadCheckpoint(fixture(f)) }
            do { _ = try loadCheckpoint(fixture(f)) } catch { XCTAssertTrue("\(error)".contains("posix.system"), "\(error)") }
        }
        assertCheckpointError(.refusedGlobal, naming: "malicious.pkl") { try PickleReader.load(fixture("malicious.pkl")) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testSummaryCounts() throws {
        let s = try loadCheckpoint(fixture("vit_stored.npz")).summary
        XCTAssertEqual(s.tensorCount, 6)
        XCTAssertEqual(s.parameterCount, 64 + 8 + 8 + 96 + 8 + 40)
        XCTAssertEqual(s.tensorsByDType, [.f32: 5, .f16: 1])
    }
}
