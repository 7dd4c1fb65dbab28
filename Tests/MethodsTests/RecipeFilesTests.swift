import Engine
import XCTest
import Backbones
import Methods
import Random
import Data
import PaperTables
@testable import Bench

/// Every SA2VP / InsVP recipe parses, and its options build the method on a small ViT.
final class RecipeFilesTests: XCTestCase {
    func testSA2VPAndInsVPRecipesLoadAndBuild() throws {
        let files = FileManager.default.enumerator(at: Golden.recipes, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" && ($0.lastPathComponent.hasPrefix("sa2vp") || $0.lastPathComponent.hasPrefix("insvp")
                                                          || ["sa2vp", "sa2vp-swin", "insvp"].contains($0.deletingLastPathComponent().lastPathComponent)) }
        XCTAssertGreaterThanOrEqual(files.count, 2 + 20 + 6 + 6 + 10 + 20)
        for f in files {
            let rel = String(f.path.dropFirst(Golden.recipes.path.count))  // the worktree path may contain "sa2vp"
            let r = try Recipe.load(f)
            XCTAssertEqual(r.method, rel.contains("sa2vp-swin") ? "sa2vp-swin" : rel.contains("sa2vp") ? "sa2vp" : "insvp", f.path)
            XCTAssertGreaterThan(r.lr, 0, f.path)
            // Options decode (unknown names fail) on a ViT of the right geometry (224 px for the full recipes).
            if r.method == "sa2vp-swin" {
                _ = try makeMethod("sa2vp-swin", setup: MethodSetup(backbone: .swin(Swin(SA2VPSwinTests.tiny)), numClasses: 3, options: r.options, rng: RandomStream(0)))
            } else if r.method == "sa2vp" {
                let cfg = ViTConfig(imageSize: 32, patchSize: 8, dim: 24, depth: rel.contains("mini") ? 4 : 12, heads: 2, mlpDim: 24)
                _ = try makeMethod("sa2vp", setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 3, options: r.options, rng: RandomStream(0)))
            } else {
                var o = r.options; o["deep_layer"] = .int(1)
                let cfg = rel.contains("mini") ? ViTConfig(imageSize: 32, patchSize: 8, dim: 96, depth: 1, heads: 2, mlpDim: 8)
                                                  : ViTConfig(imageSize: 224, patchSize: 16, dim: 768, depth: 1, heads: 12, mlpDim: 8)
                _ = try makeMethod("insvp", setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 3, options: o, rng: RandomStream(0)))
            }
            if r.mixup != nil { XCTAssertEqual(r.mixupConfig, MixupConfig(mixupAlpha: 0.8, cutmixAlpha: 1.0, mixProb: 0.5, switchProb: 0.5, labelSmoothing: 0.1), f.path) }
        }
    }
}

/// Every cell of the paper tables whose method is implemented either can start (`CellReadinessTests` builds those) or
/// is a known gap listed in Tests/Fixtures/bench/known-gaps.tsv; every recipe under recipes/ loads, and grids say how
/// they score.
final class RecipeCoverageTests: XCTestCase {
    let root = Golden.recipes.deletingLastPathComponent()
    var knownGapsFile: URL { root.appendingPathComponent("Tests/Fixtures/bench/known-gaps.tsv") }

    /// A ratchet: the cells of implemented methods that cannot start (status and the classifier's reason) must be
    /// exactly the listed ones. A new gap fails; so does a listed gap that closed (remove its line). To regenerate
    /// the list after a deliberate change: `VPT_BENCH_WRITE_KNOWN_GAPS=1 swift test --filter RecipeCoverageTests`.
    func testNonRunnableCellsOfImplementedMethodsAreTheKnownGaps() throws {
        let bundle = try PaperTablesBundle(directory: root.appendingPathComponent("paper-tables").path)
        let keys = Set(bundle.registry.cellsByTable.values.joined()).filter { methodRegistry[$0.method] != nil }.sorted()
        let classifier = CellClassifier(root: root)   // one classifier: builds are shared across cells
        var found: [String: (status: String, reason: String)] = [:], checked: [String: Int] = [:]
        for key in keys {
            let r = classifier.classify(key)
            checked[key.benchmark, default: 0] += 1
            guard !r.runnable else { continue }
            let reason = r.needs.map(\.description).joined(separator: "; ")
                .replacingOccurrences(of: root.path + "/", with: "").replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
            found[key.id] = (r.status.rawValue, reason)
        }
        // Each benchmark contributes cells (a registry that lost a table would pass vacuously).
        for b in ["vtab1k", "fgvc", "hta", "ilm13"] { XCTAssertGreaterThan(checked[b] ?? 0, 0, b) }

        let header = "# Cells of the paper tables whose method is implemented but that cannot start yet, as CellClassifier says\n"
            + "# (RecipeCoverageTests). Columns: cell id, status, reason. Regenerate: VPT_BENCH_WRITE_KNOWN_GAPS=1 swift test --filter RecipeCoverageTests\n"
        let generated = header + found.keys.sorted().map { "\($0)\t\(found[$0]!.status)\t\(found[$0]!.reason)\n" }.joined()
        if ProcessInfo.processInfo.environment["VPT_BENCH_WRITE_KNOWN_GAPS"] == "1" {
            try generated.write(to: knownGapsFile, atomically: true, encoding: .utf8)
        }
        var listed: [String: String] = [:]
        let text = try String(contentsOf: knownGapsFile, encoding: .utf8)
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty && !line.hasPrefix("#") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 3, CellReadiness.Status(rawValue: c[1]) != nil, c[1] != "runnable", c[2].count >= 10 else {
                XCTFail("\(knownGapsFile.path):\(n + 1): want cell-id<TAB>status<TAB>reason (a non-runnable status, a reason): \(line)"); continue
            }
            XCTAssertNil(listed[c[0]], "\(knownGapsFile.path):\(n + 1): \(c[0]) listed twice")
            listed[c[0]] = c[1]
        }
        var problems: [String] = []
        for id in found.keys.sorted() where listed[id] != found[id]!.status {
            problems.append(listed[id] == nil ? "new gap: \(id) \(found[id]!.status): \(found[id]!.reason)"
                                              : "\(id): listed as \(listed[id]!), now \(found[id]!.status): \(found[id]!.reason)")
        }
        for id in listed.keys.sorted() where found[id] == nil {
            problems.append("gap closed (or the cell is gone): \(id) — remove its line from known-gaps.tsv")
        }
        XCTAssert(problems.isEmpty, "\n" + problems.joined(separator: "\n"))
        XCTAssertGreaterThan(found.count, 0, "the ratchet compares a non-empty set (the tables hold cells that cannot start yet)")
    }

    /// ILM-VP's three label mappings have a recipe on every ilm13 dataset the suite can read.
    func testILM13RecipesCoverEveryReadableDataset() throws {
        let datasets = datasetRegistry.keys.filter { $0.hasPrefix("ilm13/") }.map { String($0.dropFirst(6)) }.sorted()
        XCTAssertGreaterThanOrEqual(datasets.count, 12)
        for m in ["ilm-vp", "flm-vp", "rlm-vp"] {
            for d in datasets {
                let f = CellCatalog.recipeFile(benchmark: "ilm13", method: m, dataset: d, root: root)
                XCTAssertNotNil(f, "ilm13/\(d)/\(m)")
                if let f { XCTAssertEqual(try Recipe.load(f).method, m, f.path) }
            }
        }
    }

    func testEveryRecipeFileLoadsAndNamesItsMethod() throws {
        let files = FileManager.default.enumerator(at: Golden.recipes, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" }
        XCTAssertGreaterThan(files.count, 100)
        for f in files {
            let r = try Recipe.load(f)
            XCTAssertNotNil(methodRegistry[r.method], "\(f.path): method \(r.method) is not registered")
            // recipes/<b>/<method>.yaml, recipes/<b>/<method>/<dataset>.yaml or recipes/<b>/<method>/<backbone>/<dataset>.yaml
            let name = f.deletingPathExtension().lastPathComponent, parent = f.deletingLastPathComponent().lastPathComponent
            let grandparent = f.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
            let perBackbone = r.method == grandparent && BackboneZoo.specs[parent] != nil
            XCTAssertTrue(r.method == name || r.method == parent || perBackbone, "\(f.path): method \(r.method) does not match its path")
            // A per-backbone recipe that names a backbone names its folder's (CellReadiness refuses another).
            if perBackbone, let b = r.backbone { XCTAssertEqual(b, parent, "\(f.path): backbone \(b) in the folder of \(parent)") }
            // ILM-VP pads an input_size image: the loader must prepare that size, else the method's shape check stops the run.
            if ["ilm-vp", "flm-vp", "rlm-vp"].contains(r.method), case .int(let s)? = r.options["input_size"] {
                XCTAssertEqual(r.imageSize, s, "\(f.path): image_size must equal options.input_size")
            }
            if let g = r.grid {
                XCTAssertFalse(g.lr.isEmpty || g.weightDecay.isEmpty, f.path)
                // A grid is the search for unpublished values: its recipe says so (the report footer repeats it).
                let text = try String(contentsOf: f, encoding: .utf8)
                if f.path.contains("/fgvc/") || f.path.contains("/hta/") {
                    XCTAssertTrue(text.contains("hyper-parameters searched"), "\(f.path): a grid recipe must say its values were searched")
                }
            }
        }
    }

    func testGridScoreIsCheckedAndNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grid-score-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try String(contentsOf: Golden.recipes.appendingPathComponent("hta/e2vpt.yaml"), encoding: .utf8)
        XCTAssertEqual(try Recipe.load(Golden.recipes.appendingPathComponent("hta/e2vpt.yaml")).grid?.score, "best-val-over-epochs")
        let bad = dir.appendingPathComponent("bad.yaml")
        try base.replacingOccurrences(of: "score: best-val-over-epochs", with: "score: best-test").write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Recipe.load(bad)) { e in
            XCTAssertTrue("\(e)".contains(bad.path) && "\(e)".contains("best-test"), "\(e)")
        }
        let empty = dir.appendingPathComponent("empty.yaml")
        try base.replacingOccurrences(of: "  weight_decay: [0.0, 0.0001, 0.001, 0.01]", with: "  weight_decay: []").write(to: empty, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Recipe.load(empty)) { e in XCTAssertTrue("\(e)".contains("at least one value"), "\(e)") }
    }

    /// V-PETL Bench steps timm's cosine once per epoch after it (t_initial = epochs); DA-VPT per update (t_initial = updates).
    func testTimmCosinePerEpochAndPerUpdate() throws {
        let r = try Recipe.load(Golden.recipes.appendingPathComponent("fgvc/bias/cub200.yaml"))
        let (s, perStep) = try r.schedule.resolve(epochs: r.epochs, itersPerEpoch: 7)
        XCTAssertFalse(perStep)
        // Stepped after each epoch (`scheduler.step(ep)`): epoch e trains at f(max(0, e − 1)).
        guard case let .timmCosineEpoch(t, w, wInit, lrMin, lag) = s else { return XCTFail("\(s)") }
        XCTAssertEqual([t, w, lag], [100, 10, 1]); XCTAssertEqual(wInit, 1e-6); XCTAssertEqual(lrMin, 1e-5)
        XCTAssertEqual(s.lr(at: 11, base: 1), Schedule.timmCosine(tInitial: 100, warmupT: 10, warmupLRInit: 1e-6, lrMin: 1e-5).lr(at: 10, base: 1))
        XCTAssertEqual(s.lr(at: 0, base: 1), 1e-6)
        let d = try Recipe.load(Golden.recipes.appendingPathComponent("fgvc/da-vpt/cub200.yaml"))
        let (s2, perStep2) = try d.schedule.resolve(epochs: d.epochs, itersPerEpoch: 7)
        XCTAssertTrue(perStep2)
        guard case let .timmCosine(t2, w2, _, _) = s2 else { return XCTFail("\(s2)") }
        XCTAssertEqual([t2, w2], [700, 70])
    }
}
