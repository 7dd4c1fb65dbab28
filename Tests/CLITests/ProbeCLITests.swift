import XCTest
import Bench
import Checkpoints
import Foundation

/// `bench probe --method dam-vp` on the official golden case (Tests/Fixtures/methods/dam_vp/make_dam_vp_golden.py): the
/// weights file carries the trained state under the official names — backbone + `head.*`, `prompter_gather.{k}.pad_*` and
/// the cluster prototypes `prototype_gather` — so the probe needs no training data.
final class ProbeCLITests: XCTestCase {
    let cli = BenchCLI()
    var fixtures: URL { cli.root.appendingPathComponent("Tests/Fixtures/methods/dam_vp") }

    /// Runs `bench` and returns (exit status, stderr).
    func run(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = cli.benchURL
        p.arguments = args
        p.currentDirectoryURL = cli.root
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func relError(_ a: [Float], _ e: [Float]) -> Float {
        precondition(a.count == e.count, "\(a.count) vs \(e.count)")
        var num: Float = 0, den: Float = 0
        for i in e.indices { num = max(num, abs(a[i] - e[i])); den = max(den, abs(e[i])) }
        return den == 0 ? num : num / den
    }

    func testDAMVPProbeFromTheCommandLine() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let io = try loadCheckpoint(fixtures.appendingPathComponent("io.safetensors"))
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("golden.json"))) as! [String: Any]
        let images = try io.tensor("images"), labels = try io.tensor("labels")
        try Npy.write(StoredTensor(name: "x", shape: images.shape, floats: try images.floats()), to: tmp.appendingPathComponent("x.npy"))
        try Npy.write(StoredTensor(name: "y", shape: labels.shape, floats: try labels.floats()), to: tmp.appendingPathComponent("y.npy"))
        // The golden's tiny timm ViT (image 32, patch 8, dim 32, depth 2, heads 2, MLP 128, pre_logits) and its 3 classes.
        let config = """
            {"backbone": {"imageSize": 32, "patchSize": 8, "channels": 3, "dim": 32, "depth": 2, "heads": 2, "mlpDim": 128,
                          "numClasses": 0, "preLogits": true, "layerNormEps": 1e-6},
             "num_classes": \(golden["num_classes"] as! Int), "options": {"prompt_size": 4}}
            """
        try config.write(to: tmp.appendingPathComponent("probe.yaml"), atomically: true, encoding: .utf8)
        func args(_ weights: URL, _ out: String) -> [String] {
            ["probe", "--method", "dam-vp", "--config", tmp.appendingPathComponent("probe.yaml").path, "--weights", weights.path,
             "--input", tmp.appendingPathComponent("x.npy").path, "--labels", tmp.appendingPathComponent("y.npy").path,
             "--out", tmp.appendingPathComponent(out).path, "--threads", "1"]
        }
        let (status, stderr) = try run(args(fixtures.appendingPathComponent("weights.safetensors"), "out"))
        XCTAssertEqual(status, 0, stderr)
        let out = tmp.appendingPathComponent("out")
        let logits = try Npy.load(out.appendingPathComponent("logits.npy"))
        let le = Self.relError(try logits.floats(), try io.tensor("logits").floats())
        let loss = Float(try String(contentsOf: out.appendingPathComponent("loss.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        let eLoss = Float((golden["loss"] as! NSNumber).doubleValue)
        let grads = try loadCheckpoint(out.appendingPathComponent("grads.safetensors"))
        let k = golden["K"] as! Int
        XCTAssertEqual(Set(grads.names), Set((0..<k).flatMap { c in ["pad_up", "pad_down", "pad_left", "pad_right"].map { "prompter_gather.\(c).\($0)" } } + ["head.weight", "head.bias"]))
        var worst: Float = 0
        for n in grads.names { worst = max(worst, Self.relError(try grads.tensor(n).floats(), try io.tensor("grad/" + n).floats())) }
        print("bench probe dam-vp: logits \(le), loss \(abs(loss - eLoss) / eLoss), worst grad \(worst)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(abs(loss - eLoss) / eLoss, 1e-4)
        XCTAssertLessThan(worst, 1e-3)

        // Without the prototypes the probe refuses, naming what is missing.
        let full = try loadCheckpoint(fixtures.appendingPathComponent("weights.safetensors"))
        let noProto = tmp.appendingPathComponent("no-prototypes.safetensors")
        try Safetensors.write(try full.names.filter { $0 != "prototype_gather" }.map { try full.tensor($0) }, to: noProto)
        let (bad, message) = try run(args(noProto, "bad"))
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(message.contains("prototype_gather"), message)
    }

    /// `bench probe --method ilm-vp` with a `resnet:` shape, on the official golden case
    /// (Tests/Fixtures/methods/ilm_vp/make_ilm_vp_golden.py): ResNet in torchvision names (BN statistics included),
    /// `program`, and the official label mapping as `mapping_sequence`.
    func testILMVPProbeFromTheCommandLine() throws {
        let dir = cli.root.appendingPathComponent("Tests/Fixtures/methods/ilm_vp")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("probe-ilm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let io = try loadCheckpoint(dir.appendingPathComponent("io.safetensors"))
        let g = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let images = try io.tensor("images"), labels = try io.tensor("labels")
        try Npy.write(StoredTensor(name: "x", shape: images.shape, floats: try images.floats()), to: tmp.appendingPathComponent("x.npy"))
        try Npy.write(StoredTensor(name: "y", shape: labels.shape, floats: try labels.floats()), to: tmp.appendingPathComponent("y.npy"))
        let w = try loadCheckpoint(dir.appendingPathComponent("weights.safetensors"))
        let mapping = (g["mapping"] as! [Int]).map { Float($0) }
        let weights = tmp.appendingPathComponent("w.safetensors")
        try Safetensors.write(try w.names.map { try w.tensor($0) } + [StoredTensor(name: "mapping_sequence", shape: [mapping.count], floats: mapping)], to: weights)
        let config = """
            resnet: {block: basic, layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], numClasses: \(g["source_classes"] as! Int)}
            num_classes: \(g["num_classes"] as! Int)
            options: {input_size: \(g["input_size"] as! Int), out_size: \(g["out_size"] as! Int)}
            """
        try config.write(to: tmp.appendingPathComponent("probe.yaml"), atomically: true, encoding: .utf8)
        let (status, stderr) = try run(["probe", "--method", "ilm-vp", "--config", tmp.appendingPathComponent("probe.yaml").path,
                                        "--weights", weights.path, "--input", tmp.appendingPathComponent("x.npy").path,
                                        "--labels", tmp.appendingPathComponent("y.npy").path, "--out", tmp.appendingPathComponent("out").path,
                                        "--threads", "1"])
        XCTAssertEqual(status, 0, stderr)
        let out = tmp.appendingPathComponent("out")
        let le = Self.relError(try Npy.load(out.appendingPathComponent("logits.npy")).floats(), try io.tensor("logits").floats())
        let loss = Float(try String(contentsOf: out.appendingPathComponent("loss.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        let eLoss = Float((g["loss"] as! NSNumber).doubleValue)
        let grads = try loadCheckpoint(out.appendingPathComponent("grads.safetensors"))
        XCTAssertEqual(grads.names, ["program"])
        let ge = Self.relError(try grads.tensor("program").floats(), try io.tensor("grad/program").floats())
        print("bench probe ilm-vp: logits \(le), loss \(abs(loss - eLoss) / eLoss), grad program \(ge)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(abs(loss - eLoss) / eLoss, 1e-4)
        XCTAssertLessThan(ge, 1e-3)
        // Without the mapping the probe refuses, naming the tensor.
        try Safetensors.write(try w.names.map { try w.tensor($0) }, to: weights)
        let (bad, message) = try run(["probe", "--method", "ilm-vp", "--config", tmp.appendingPathComponent("probe.yaml").path,
                                      "--weights", weights.path, "--input", tmp.appendingPathComponent("x.npy").path,
                                      "--labels", tmp.appendingPathComponent("y.npy").path, "--out", tmp.appendingPathComponent("bad").path])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(message.contains("mapping_sequence"), message)
    }
}
