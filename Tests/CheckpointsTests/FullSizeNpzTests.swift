import Foundation
import XCTest
@testable import Checkpoints

/// A full-size ViT-B/16 npz (Google naming, ~86M float32) through our writer and reader.
final class FullSizeNpzTests: XCTestCase {
    /// The parameter shapes of Google's imagenet21k/ViT-B_16.npz (21843-class head).
    static func vitB16Shapes() -> [(String, [Int])] {
        var out: [(String, [Int])] = [
            ("cls", [1, 1, 768]), ("embedding/kernel", [16, 16, 3, 768]), ("embedding/bias", [768]),
            ("Transformer/posembed_input/pos_embedding", [1, 197, 768]),
            ("Transformer/encoder_norm/scale", [768]), ("Transformer/encoder_norm/bias", [768]),
            ("pre_logits/kernel", [768, 768]), ("pre_logits/bias", [768]),
            ("head/kernel", [768, 21843]), ("head/bias", [21843]),
        ]
        for b in 0..<12 {
            let p = "Transformer/encoderblock_\(b)/"
            for ln in ["LayerNorm_0", "LayerNorm_2"] {
                out.append((p + ln + "/scale", [768]))
                out.append((p + ln + "/bias", [768]))
            }
            for q in ["query", "key", "value"] {
                out.append((p + "MultiHeadDotProductAttention_1/\(q)/kernel", [768, 12, 64]))
                out.append((p + "MultiHeadDotProductAttention_1/\(q)/bias", [12, 64]))
            }
            out.append((p + "MultiHeadDotProductAttention_1/out/kernel", [12, 64, 768]))
            out.append((p + "MultiHeadDotProductAttention_1/out/bias", [768]))
            out.append((p + "MlpBlock_3/Dense_0/kernel", [768, 3072]))
            out.append((p + "MlpBlock_3/Dense_0/bias", [3072]))
            out.append((p + "MlpBlock_3/Dense_1/kernel", [3072, 768]))
            out.append((p + "MlpBlock_3/Dense_1/bias", [768]))
        }
        return out
    }

    /// Cheap deterministic value for element i of tensor t (exactly representable, varies per tensor).
    static func value(_ t: Int, _ i: Int) -> Float { Float((i &* 2654435761 &+ t &* 40503) % 2001 - 1000) / 1024 }

    func testWriteAndReadFullSizeViTB16() throws {
        let shapes = Self.vitB16Shapes()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vit-b16-\(UUID().uuidString).npz")
        defer { try? FileManager.default.removeItem(at: url) }
        var total = 0
        let tensors: [StoredTensor] = shapes.enumerated().map { ti, entry in
            let n = entry.1.reduce(1, *)
            total += n
            let values = [Float](unsafeUninitializedCapacity: n) { buf, count in
                for i in 0..<n { buf[i] = Self.value(ti, i) }
                count = n
            }
            return StoredTensor(name: entry.0, shape: entry.1, floats: values)
        }
        // ~85.8M body + 0.6M pre_logits + 16.8M for the 21843-class head.
        XCTAssertEqual(total, 103_186_515)
        try Npz.write(tensors, to: url)
        let c = try loadCheckpoint(url)
        XCTAssertEqual(c.names.count, shapes.count)
        XCTAssertEqual(c.names, shapes.map(\.0))
        XCTAssertEqual(c.summary.parameterCount, total)
        for (ti, (name, shape)) in shapes.enumerated() {
            let t = try c.tensor(name)
            XCTAssertEqual(t.shape, shape, name)
            if ti % 17 == 0 || name.hasPrefix("head/kernel") {
                let f = try t.floats()
                for i in [0, 1, f.count / 2, f.count - 1] { XCTAssertEqual(f[i], Self.value(ti, i), "\(name)[\(i)]") }
            }
        }
    }
}
