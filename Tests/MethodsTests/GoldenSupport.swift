import XCTest
import Backbones
import Bench
import Checkpoints
import Engine
import Methods

/// Parity against golden files made by the official PyTorch code (Tests/Fixtures/methods/<method>/make_*_golden.py):
/// full weights in official names → logits (eval), loss (dropout off) and every trainable tensor's gradient.
enum Golden {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/methods")
    static let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("recipes")

    /// The tiny ViT all method goldens use (image 32, patch 8, dim 32, depth 3, heads 4, MLP 64).
    static let tinyViT = ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 3, heads: 4, mlpDim: 64)

    /// Tensor `name` of the fixture file `dir/file`.
    static func tensor(_ dir: String, _ file: String, _ name: String) throws -> Tensor {
        try tensor(try loadCheckpoint(root.appendingPathComponent(dir).appendingPathComponent(file)), name)
    }

    static func tensor(_ ck: Checkpoint, _ name: String) throws -> Tensor {
        let t = try ck.tensor(name)
        return Tensor(try t.floats(), shape: t.shape)
    }

    /// max |a − e| / max |e|.
    static func relError(_ a: [Float], _ e: [Float]) -> Float {
        precondition(a.count == e.count, "sizes \(a.count) vs \(e.count)")
        var num: Float = 0, den: Float = 0
        for i in e.indices { num = max(num, abs(a[i] - e[i])); den = max(den, abs(e[i])) }
        return den == 0 ? num : num / den
    }

    /// Loads `weights`, runs the probe on `io`'s batch and compares everything; returns (logits, loss, worst grad) errors.
    @discardableResult
    /// `shared`: a file of tensors common to several cases (a frozen backbone), merged with `weights`.
    static func check(_ method: PromptMethod, dir: String, weights: String, io: String, shared: String? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws -> (Float, Float, Float) {
        let base = root.appendingPathComponent(dir)
        var ck = try loadCheckpoint(base.appendingPathComponent(weights))
        if let shared {
            let s = try loadCheckpoint(base.appendingPathComponent(shared))
            for n in s.names where ck.tensors[n] == nil { ck.names.append(n); ck.tensors[n] = s.tensors[n] }
        }
        let report = try Probe.loadOfficialWeights(method, from: ck)
        XCTAssertTrue(report.unexpected.isEmpty, "\(weights): official tensors the method does not have: \(report.unexpected)", file: file, line: line)
        XCTAssertTrue(report.missing.isEmpty, "\(weights): missing \(report.missing)", file: file, line: line)
        let g = try loadCheckpoint(base.appendingPathComponent(io))
        let x = try tensor(g, "x")
        let labels = try g.tensor("labels").floats().map { Int($0) }
        let r = try Probe.run(method, images: x, labels: labels)
        let le = relError(r.logits.scalars, try tensor(g, "logits").scalars)
        let expectedLoss = try g.tensor("loss").floats()[0]
        let lossErr = abs(r.loss - expectedLoss) / abs(expectedLoss)
        XCTAssertLessThan(le, 1e-4, "\(io): logits", file: file, line: line)
        XCTAssertLessThan(lossErr, 1e-4, "\(io): loss \(r.loss) vs \(expectedLoss)", file: file, line: line)
        // Same set of trainable tensors as the official freezing rules, and the same gradients.
        let expectedNames = Set(g.names.filter { $0.hasPrefix("grad/") }.map { String($0.dropFirst(5)) })
        let ours = Dictionary(uniqueKeysWithValues: r.gradients.map { ($0.name, $0) })
        XCTAssertEqual(Set(ours.keys), expectedNames, "\(io): trainable tensors differ", file: file, line: line)
        // Error relative to max(max|expected|, 1e-4 · the largest gradient of the case): some gradients are
        // analytically zero (key biases: softmax is invariant to q·b_k) and both sides hold only rounding noise.
        var scale: Float = 0
        for name in expectedNames { scale = max(scale, try g.tensor("grad/" + name).floats().map(abs).max() ?? 0) }
        var worst: Float = 0, worstName = ""
        for name in expectedNames.sorted() {
            guard let mine = ours[name] else { continue }
            let e = try g.tensor("grad/" + name)
            XCTAssertEqual(mine.shape, e.shape, "\(name) shape", file: file, line: line)
            let ev = try e.floats(), mv = try mine.floats()
            let den = max(ev.map(abs).max() ?? 0, 1e-4 * scale)
            let err = zip(mv, ev).map { abs($0 - $1) }.max().map { $0 / den } ?? 0
            XCTAssertLessThan(err, 1e-3, "\(io): gradient of \(name)", file: file, line: line)
            if err > worst { worst = err; worstName = name }
        }
        print("parity \(method.id) [\(io)]: logits \(le), loss \(lossErr), worst grad \(worst) (\(worstName)), \(expectedNames.count) trainable tensors")
        return (le, lossErr, worst)
    }
}
