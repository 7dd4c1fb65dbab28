import XCTest
import Bench
import Checkpoints
import Foundation

/// `bench probe … FILE [ARGS…]`: the official configuration and its arguments, read as `bench recipe import` reads them,
/// give the method options; the printed probe config names where each value came from; a key the importer cannot map
/// stops the probe naming it.
final class ProbeOfficialCLITests: XCTestCase {
    let cli = BenchCLI()
    var official: URL { cli.root.appendingPathComponent("Tests/Fixtures/official-configs") }
    let tiny = "{imageSize: 32, patchSize: 8, channels: 3, dim: 32, depth: 2, heads: 2, mlpDim: 64, numClasses: 0, preLogits: false, layerNormEps: 1.0e-6}"

    func tmpDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("probe-official-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// The printed line of option `key` (`    key: value   # source`).
    func line(_ out: String, _ key: String) -> String {
        out.split(separator: "\n").map(String.init).first { $0.hasPrefix("    \(key): ") } ?? "(no line for \(key))"
    }

    func testYacsConfigAndOverrides() throws {
        let tmp = try tmpDir()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let cfg = tmp.appendingPathComponent("probe.yaml")
        try "backbone: \(tiny)\nnum_classes: 3\n".write(to: cfg, atomically: true, encoding: .utf8)
        let (status, out, err) = try cli.capture([
            "probe", "--method", "vpt-deep", "--config", cfg.path, "--show-config", "--path", "configs/prompt/cub.yaml",
            official.appendingPathComponent("KMnP_vpt/configs/prompt/cub.yaml").path,
            "MODEL.PROMPT.NUM_TOKENS", "10", "MODEL.PROMPT.DEEP", "True", "DATA.FEATURE", "sup_vitb16_imagenet21k"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(line(out, "NUM_TOKENS"), "    NUM_TOKENS: 10   # official: MODEL.PROMPT.NUM_TOKENS = 10, command line `MODEL.PROMPT.NUM_TOKENS 10`", out)
        XCTAssert(line(out, "DEEP").contains("# official: MODEL.PROMPT.DEEP = true, command line"), out)
        XCTAssert(line(out, "DROPOUT").contains("(default)"), out)                       // config.py's default, with its line
        XCTAssert(line(out, "lr").hasSuffix("# SOLVER.BASE_LR = 0.1, configs/prompt/cub.yaml:11"), out)  // listed, not used
        XCTAssert(out.contains("not used by a one-batch probe"), out)
        XCTAssert(out.contains("OUTPUT_DIR = "), out)                                     // no effect, with the reason

        // The probe config's options win over the official ones and say what they replaced.
        try "backbone: \(tiny)\nnum_classes: 3\noptions: {NUM_TOKENS: 2}\n".write(to: cfg, atomically: true, encoding: .utf8)
        let (s2, o2, e2) = try cli.capture([
            "probe", "--method", "vpt-deep", "--config", cfg.path, "--show-config",
            official.appendingPathComponent("KMnP_vpt/configs/prompt/cub.yaml").path,
            "MODEL.PROMPT.NUM_TOKENS", "10", "MODEL.PROMPT.DEEP", "True", "DATA.FEATURE", "sup_vitb16_imagenet21k"])
        XCTAssertEqual(s2, 0, e2)
        XCTAssert(line(o2, "NUM_TOKENS").hasPrefix("    NUM_TOKENS: 2   # \(cfg.path) `options` (over 10 from official: MODEL.PROMPT.NUM_TOKENS = 10"), o2)

        // Rejected as by the importer: a key yacs does not know, a value the method does not implement.
        let (s3, _, e3) = try cli.capture(["probe", "--method", "vpt-deep", "--config", cfg.path, "--show-config",
                                           official.appendingPathComponent("KMnP_vpt/configs/prompt/cub.yaml").path,
                                           "MODEL.PROMPT.DEEP", "True", "DATA.FEATURE", "sup_vitb16_imagenet21k", "SOLVER.NOPE", "1"])
        XCTAssertNotEqual(s3, 0)
        XCTAssert(e3.contains("SOLVER.NOPE"), e3)
        let (s4, _, e4) = try cli.capture(["probe", "--method", "vpt-deep", "--config", cfg.path, "--show-config",
                                           official.appendingPathComponent("KMnP_vpt/configs/prompt/cub.yaml").path,
                                           "MODEL.PROMPT.DEEP", "True", "DATA.FEATURE", "sup_vitb16_imagenet21k", "MODEL.PROMPT.LOCATION", "add"])
        XCTAssertNotEqual(s4, 0)
        XCTAssert(e4.contains("MODEL.PROMPT.LOCATION"), e4)
    }

    func testArgparseScript() throws {
        let tmp = try tmpDir()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let cfg = tmp.appendingPathComponent("probe.yaml")
        // A tiny InsVP: the sizes the 32-px backbone needs come from the probe config; the rest from sh/cifar10.sh.
        try """
            backbone: {imageSize: 32, patchSize: 8, channels: 3, dim: 96, depth: 1, heads: 2, mlpDim: 8, numClasses: 0, preLogits: false, layerNormEps: 1.0e-6}
            num_classes: 3
            options: {deep_layer: 1, prompt_patch: 4, prompt_patch_2: 3, prompt_patch_22: 5, TP_kernel_1: 3, TP_kernel_2: 3,
                      TP_crop_1: 0, TP_pool_1: 4, TP_crop_2: 0, TP_pool_2: 2}
            """.write(to: cfg, atomically: true, encoding: .utf8)
        let sh = official.appendingPathComponent("zhoujiahuan1991_MM2024-InsVP/sh/cifar10.sh").path
        let (status, out, err) = try cli.capture(["probe", "--method", "insvp", "--config", cfg.path, "--show-config", "--path", "sh/cifar10.sh", sh, "--hid_dim=8"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(line(out, "p_len"), "    p_len: 16   # official: p_len = 16, sh/cifar10.sh + command line `--p_len=16`", out)
        XCTAssertEqual(line(out, "hid_dim"), "    hid_dim: 8   # official: hid_dim = 8, sh/cifar10.sh + command line `--hid_dim=8`", out)  // the later flag wins
        XCTAssert(line(out, "prompt_patch").contains("`options` (over 16 from official: prompt_patch = 16"), out)
        XCTAssert(line(out, "FIXED_TOKENPROMPT").contains("models/InstanceVPD.py"), out)       // a value the official code fixes
        XCTAssert(line(out, "mixup").contains("mixup = mixup"), out)                             // training value, listed
        XCTAssert(out.contains("output_path = ./Output/cifar10/ViT/imagenet22k/InsVP"), out)     // no effect, listed

        // An unknown flag and an unimplemented value stop the probe, naming them.
        let (s2, _, e2) = try cli.capture(["probe", "--method", "insvp", "--config", cfg.path, "--show-config", sh, "--bogus=1"])
        XCTAssertNotEqual(s2, 0)
        XCTAssert(e2.contains("--bogus"), e2)
        let (s3, _, e3) = try cli.capture(["probe", "--method", "insvp", "--config", cfg.path, "--show-config", sh, "--p_len_vpt=9"])
        XCTAssertNotEqual(s3, 0)
        XCTAssert(e3.contains("p_len_vpt"), e3)
        // bench's own options after FILE are official arguments: refused, saying so.
        let (s4, _, e4) = try cli.capture(["probe", "--method", "insvp", "--config", cfg.path, sh, "--show-config"])
        XCTAssertNotEqual(s4, 0)
        XCTAssert(e4.contains("before FILE"), e4)
    }

    /// The DAM-VP golden (Tests/Fixtures/methods/dam_vp) probed from the official command instead of probe-config options:
    /// the same numbers.
    func testDAMVPGoldenFromTheOfficialCommand() throws {
        let fixtures = cli.root.appendingPathComponent("Tests/Fixtures/methods/dam_vp")
        let tmp = try tmpDir()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let io = try loadCheckpoint(fixtures.appendingPathComponent("io.safetensors"))
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("golden.json"))) as! [String: Any]
        let images = try io.tensor("images"), labels = try io.tensor("labels")
        try Npy.write(StoredTensor(name: "x", shape: images.shape, floats: try images.floats()), to: tmp.appendingPathComponent("x.npy"))
        try Npy.write(StoredTensor(name: "y", shape: labels.shape, floats: try labels.floats()), to: tmp.appendingPathComponent("y.npy"))
        try """
            {"backbone": {"imageSize": 32, "patchSize": 8, "channels": 3, "dim": 32, "depth": 2, "heads": 2, "mlpDim": 128,
                          "numClasses": 0, "preLogits": true, "layerNormEps": 1e-6}, "num_classes": \(golden["num_classes"] as! Int)}
            """.write(to: tmp.appendingPathComponent("probe.yaml"), atomically: true, encoding: .utf8)
        let (status, out, err) = try cli.capture([
            "probe", "--method", "dam-vp", "--config", tmp.appendingPathComponent("probe.yaml").path,
            "--weights", fixtures.appendingPathComponent("weights.safetensors").path, "--input", tmp.appendingPathComponent("x.npy").path,
            "--labels", tmp.appendingPathComponent("y.npy").path, "--out", tmp.appendingPathComponent("out").path, "--threads", "1",
            "task_adapting/main.py", "--pretrained_model", "vit-b-22k", "--adapt_method", "prompt_w_head", "--prompt_size", "4", "--crop_size", "224",
            "--lr", "0.5"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(line(out, "prompt_size"), "    prompt_size: 4   # official: prompt_size = 4, task_adapting/main.py + command line `--prompt_size=4`", out)
        XCTAssert(out.contains("crop_size = 224"), out)
        XCTAssert(line(out, "lr").contains("`--lr=0.5`"), out)
        let o = tmp.appendingPathComponent("out")
        let le = ProbeCLITests.relError(try Npy.load(o.appendingPathComponent("logits.npy")).floats(), try io.tensor("logits").floats())
        let loss = Float(try String(contentsOf: o.appendingPathComponent("loss.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        let eLoss = Float((golden["loss"] as! NSNumber).doubleValue)
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(abs(loss - eLoss) / eLoss, 1e-4)
        // The script's default prompt size (30) does not fit the 32-px golden: the method says so.
        let (bad, _, e2) = try cli.capture(["probe", "--method", "dam-vp", "--config", tmp.appendingPathComponent("probe.yaml").path, "--show-config",
                                            "task_adapting/main.py", "--pretrained_model", "vit-b-22k", "--adapt_method", "prompt_w_head"])
        XCTAssertNotEqual(bad, 0)
        XCTAssert(e2.contains("prompt_size 30"), e2)
    }
}

/// `bench recipe import` picks the official source of a method with several by FILE's format, or by --repo.
final class RecipeImportCLITests: XCTestCase {
    let cli = BenchCLI()

    func testBiasFromVPETLBenchOrKMnPVPT() throws {
        let vpetl = cli.root.appendingPathComponent("Tests/Fixtures/official-configs/synbol_Parameter-Efficient-Transfer-Learning-Benchmark/ImageClassification/scripts/run_vit_bitfit.sh")
        let (status, out, err) = try cli.capture(["recipe", "import", "--method", "bias", "--path", "ImageClassification/scripts/run_vit_bitfit.sh",
                                                  vpetl.path, "dataset=StanfordCars"])
        XCTAssertEqual(status, 0, err)
        XCTAssert(out.contains("  repo: synbol/Parameter-Efficient-Transfer-Learning-Benchmark\n") && out.contains("  format: vpetl\n"), out)
        XCTAssert(out.contains("\nlr: 0.002   # lr = 0.002, ImageClassification/scripts/run_vit_bitfit.sh:14 `--lr=2e-3`"), out)
        XCTAssert(out.contains("\nbatch_size: 128   # config['batch_size'] = 128, ImageClassification/configs/model_lora/fgvc/StanfordCars.yaml:6"), out)
        // --repo names the source; a script is not KMnP/vpt's format.
        let (bad, _, e2) = try cli.capture(["recipe", "import", "--method", "bias", "--repo", "KMnP/vpt", vpetl.path, "dataset=StanfordCars"])
        XCTAssertNotEqual(bad, 0)
        XCTAssert(e2.contains("run_vit_bitfit.sh") || e2.contains("yacs") || e2.contains("YAML"), e2)
        // The probe reads the same script; the official --dpr 0.1 is an option `bias` does not have: named, not ignored.
        let cfg = FileManager.default.temporaryDirectory.appendingPathComponent("probe-bias-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: cfg) }
        try "backbone: {imageSize: 32, patchSize: 8, channels: 3, dim: 32, depth: 2, heads: 2, mlpDim: 64, numClasses: 0, preLogits: false, layerNormEps: 1.0e-6}\nnum_classes: 3\n".write(to: cfg, atomically: true, encoding: .utf8)
        let (p, po, pe) = try cli.capture(["probe", "--method", "bias", "--config", cfg.path, "--show-config", vpetl.path, "dataset=StanfordCars"])
        XCTAssertNotEqual(p, 0)
        XCTAssert(po.contains("drop_path: 0.1   # official: dpr = 0.1") && pe.contains("unknown option(s) drop_path"), po + pe)
        let (none, _, e3) = try cli.capture(["recipe", "import", "--method", "bias", "--repo", "nobody/nothing", vpetl.path])
        XCTAssertNotEqual(none, 0)
        XCTAssert(e3.contains("nobody/nothing") && e3.contains("KMnP/vpt"), e3)
    }
}
