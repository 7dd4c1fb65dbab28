import Data
import Foundation
import Methods
import PaperTables
import Random
import XCTest
@testable import Bench

/// `runnable` means a cell can start: method, backbone, reader and recipe resolve, and the method builds with the
/// recipe on the backbone's architecture. Only data and weight files may be missing.
final class CellReadinessTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every cell the registry calls runnable resolves through `bench run`'s path and builds: the recipe loads, its
    /// pipeline exists at the backbone's size, and the method builds with the recipe's options on a stand-in of the
    /// backbone (random weights). Run with absent data and weights, it stops asking for data, not for anything else.
    func testEveryRunnableCellBuilds() throws {
        let bundle = try PaperTablesBundle(directory: Self.root.appendingPathComponent("paper-tables").path)
        let classifier = CellClassifier(root: Self.root)
        var runnable = 0, built = Set<String>()
        for key in bundle.registry.keys() {
            let r = classifier.classify(key)
            guard r.runnable else { continue }
            runnable += 1
            let cell = try CellCatalog.cell(id: key.id, root: Self.root, classifier: classifier)
            let recipe = try Recipe.load(cell.recipeFile)
            let spec = try BackboneZoo.spec(key.backbone)
            _ = try Pipeline.make(recipe.pipeline, size: recipe.imageSize ?? spec.architecture.imageSize)
            // One build per (method, architecture, recipe file): the expensive part.
            if built.insert("\(key.method)|\(spec.architecture)|\(cell.recipeFile.path)").inserted {
                XCTAssertNoThrow(try makeMethod(key.method, setup: MethodSetup(
                    backbone: classifier.probe(spec), numClasses: 10, options: recipe.options, rng: RandomStream(1),
                    backboneId: key.backbone)), key.id)  // as Runner builds it (GateVPT reads the family)
            }
            if runnable % 97 == 1 {  // a sample runs for real up to the data: the error is about the data root only
                let options = RunOptions(runs: FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString)"),
                                         dataRoot: URL(fileURLWithPath: "/nonexistent-data"), weights: URL(fileURLWithPath: "/nonexistent-weights"))
                XCTAssertThrowsError(try Runner.run(cell, seed: 0, options: options, log: { _ in })) { e in
                    XCTAssertTrue("\(e)".contains("nonexistent-weights"), "\(key.id): \(e)")
                }
                try? FileManager.default.removeItem(at: options.runs)
            }
        }
        XCTAssertGreaterThan(runnable, 150)
    }

    /// A cell lacking several pieces names all of them, in the order method, backbone, reader, recipe.
    func testMissingPiecesAllNamed() throws {
        let c = CellClassifier(root: Self.root)
        let r = c.classify(CellKey(benchmark: "hta", dataset: "no_such_set", method: "lion", backbone: "clip"))
        XCTAssertEqual(r.status, .needsMethod)
        XCTAssertEqual(r.needs.map(\.status), [.needsMethod, .needsBackbone, .needsReader, .needsRecipe])
        XCTAssertThrowsError(try CellCatalog.cell(id: "hta/no_such_set/lion/clip", root: Self.root)) { e in
            let m = "\(e)"
            for part in ["method 'lion' is not implemented", "backbone 'clip' is not in the zoo", "no dataset reader for 'hta/no_such_set'",
                         "no recipe at recipes/hta/lion.yaml"] {
                XCTAssertTrue(m.contains(part), m)
            }
        }
    }

    /// A method the suite lacks names, in its needs-method message, what paper-tables/method-ids.csv says about its
    /// authors' code: where it is, or what was searched without finding any (issue 24). Other notes (transcription
    /// remarks) stay out of the message. Planted in a scratch root.
    func testMissingMethodShowsItsCodeNote() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("paper-tables"), withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: tmp) }
        try """
            paper,label,method_id,implemented,notes
            p1,None,planted-none,no,"no official code found: searched a, b; see paper-tables/README.md"
            p2,Code again,planted-code,no,official code: o/r@abc f.py
            p1,Code,planted-code,no,"CLIP per caption; official code: o/r@abc f.py"
            p3,Code elsewhere,planted-code,no,official code: o/s@def g.py
            p1,Other,planted-other,no,"Table 1; printed with a citation"
            p1,Bare,bare-method,no,
            p1,Adapter,adapter,yes,official code: o/adapter@123 a.py

            """.write(to: tmp.appendingPathComponent("paper-tables/method-ids.csv"), atomically: true, encoding: .utf8)
        let c = CellClassifier(root: tmp)
        func need(_ method: String) -> CellReadiness {
            c.classify(CellKey(benchmark: "vtab1k", dataset: "dtd", method: method, backbone: "vit-b16-in21k"))
        }
        XCTAssertEqual(need("planted-none").status, .needsMethod)
        XCTAssertEqual(need("planted-none").needs.first,
                       .method("method 'planted-none' is not implemented (method-ids.csv: no official code found: searched a, b; see paper-tables/README.md)"))
        // From "official code" on, distinct, in (paper, label) order.
        XCTAssertEqual(need("planted-code").needs.first,
                       .method("method 'planted-code' is not implemented (method-ids.csv: official code: o/r@abc f.py; official code: o/s@def g.py)"))
        XCTAssertEqual(need("planted-other").needs.first, .method("method 'planted-other' is not implemented"))
        XCTAssertEqual(need("bare-method").needs.first, .method("method 'bare-method' is not implemented"))
        XCTAssertFalse(need("adapter").message.contains("o/adapter"), need("adapter").message)
    }

    /// In the repository's own tables: every needs-method cell of a method whose method-ids.csv notes speak of its code
    /// shows that part (the evidence `bench list` prints for the methods without an implementation).
    func testNeedsMethodCellsShowTheirCodeNotes() throws {
        let bundle = try PaperTablesBundle(directory: Self.root.appendingPathComponent("paper-tables").path)
        let c = CellClassifier(root: Self.root)
        var checked = Set<String>()
        for key in bundle.registry.keys() where methodRegistry[key.method] == nil && !checked.contains(key.method) {
            let evidence = bundle.registry.methodIds.values.filter { $0.id == key.method }.compactMap { CellClassifier.codeEvidence($0.notes) }
            guard !evidence.isEmpty else { continue }
            checked.insert(key.method)
            let r = c.classify(key)
            XCTAssertEqual(r.status, .needsMethod, key.id)
            for e in evidence { XCTAssertTrue(r.message.contains(e), "\(key.id): \(r.message) lacks '\(e)'") }
        }
        XCTAssertFalse(checked.isEmpty, "no unimplemented method with code evidence in method-ids.csv; the test checked nothing")
    }

    /// Planted in a copy of the recipes: a recipe the method rejects is `needs-recipe`; a method on an architecture it
    /// does not run on is `needs-backbone`; a recipe for another method is `needs-recipe`.
    func testRecipeAndArchitectureProblems() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("recipes"), to: tmp.appendingPathComponent("recipes"))
        let adapter = tmp.appendingPathComponent("recipes/vtab1k/adapter.yaml")
        let text = try String(contentsOf: adapter, encoding: .utf8)
        let c0 = CellClassifier(root: tmp)
        XCTAssertTrue(c0.classify(CellKey(benchmark: "vtab1k", dataset: "dtd", method: "adapter", backbone: "vit-b16-in21k")).runnable)
        // adapter is ViT-only: on a ResNet its recipe is fine and the backbone is the problem.
        let onResNet = c0.classify(CellKey(benchmark: "vtab1k", dataset: "dtd", method: "adapter", backbone: "resnet50-in1k"))
        XCTAssertEqual(onResNet.status, .needsBackbone, onResNet.message)
        XCTAssertTrue(onResNet.message.contains("needs a ViT backbone"), onResNet.message)

        try text.replacingOccurrences(of: "REDUCATION_FACTOR: 8", with: "REDUCATION_FACTOR: 8\n  NO_SUCH_OPTION: 1")
            .write(to: adapter, atomically: true, encoding: .utf8)
        let bad = CellClassifier(root: tmp).classify(CellKey(benchmark: "vtab1k", dataset: "dtd", method: "adapter", backbone: "vit-b16-in21k"))
        XCTAssertEqual(bad.status, .needsRecipe, bad.message)
        XCTAssertTrue(bad.message.contains("NO_SUCH_OPTION"), bad.message)

        try text.replacingOccurrences(of: "method: adapter", with: "method: bias").write(to: adapter, atomically: true, encoding: .utf8)
        let other = CellClassifier(root: tmp).classify(CellKey(benchmark: "vtab1k", dataset: "dtd", method: "adapter", backbone: "vit-b16-in21k"))
        XCTAssertEqual(other.status, .needsRecipe)
        XCTAssertTrue(other.message.contains("is a recipe for method 'bias'"), other.message)
    }

    /// method-ids.csv's `implemented` column says what the registry has: a method that landed flips its rows, and a row
    /// never claims a method the suite lacks.
    func testImplementedColumnMatchesTheRegistry() throws {
        let ids = try MethodId.load(path: Self.root.appendingPathComponent("paper-tables/method-ids.csv").path)
        XCTAssertGreaterThan(ids.count, 30)
        let wrong = ids.values.filter { $0.implemented != (methodRegistry[$0.id] != nil) }
            .map { "\($0.paper),\($0.label),\($0.id): implemented=\($0.implemented ? "yes" : "no"), registry \(methodRegistry[$0.id] != nil ? "has" : "lacks") it" }
            .sorted()
        XCTAssertEqual(wrong, [], wrong.joined(separator: "\n"))
    }

    /// A recipe in a backbone folder (`recipes/<b>/<m>/<backbone>/<d>.yaml`) wins for that backbone only, and must name it.
    func testBackboneFolderRecipes() throws {
        let key = { (b: String) in CellKey(benchmark: "vtab1k", dataset: "dtd", method: "e2vpt", backbone: b) }
        let c = CellClassifier(root: Self.root)
        XCTAssertEqual(c.classify(key("swin-b-in22k")).recipeFile?.path.hasSuffix("recipes/vtab1k/e2vpt/swin-b-in22k/dtd.yaml"), true)
        XCTAssertEqual(c.classify(key("vit-b16-in21k")).recipeFile?.path.hasSuffix("recipes/vtab1k/e2vpt/dtd.yaml"), true)
        XCTAssertEqual(CellCatalog.recipeFile(benchmark: "fgvc", method: "e2vpt", dataset: "cub200", backbone: "vit-b16-mae", root: Self.root)?
            .path.hasSuffix("recipes/fgvc/e2vpt/vit-b16-mae/cub200.yaml"), true)
        XCTAssertEqual(CellCatalog.recipeFile(benchmark: "fgvc", method: "e2vpt", dataset: "cub200", backbone: "vit-b16-in21k", root: Self.root)?
            .path.hasSuffix("recipes/fgvc/e2vpt/cub200.yaml"), true)
        XCTAssertTrue(c.classify(key("swin-b-in22k")).runnable)
        // The Swin recipe copied to the ViT's place is written for another backbone: a recipe problem, named.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("recipes/vtab1k/e2vpt/vit-b16-in21k"), withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("recipes/vtab1k/e2vpt/swin-b-in22k/dtd.yaml"),
                                         to: tmp.appendingPathComponent("recipes/vtab1k/e2vpt/vit-b16-in21k/dtd.yaml"))
        let wrong = CellClassifier(root: tmp).classify(key("vit-b16-in21k"))
        XCTAssertEqual(wrong.status, .needsRecipe, wrong.message)
        XCTAssertTrue(wrong.message.contains("is written for backbone 'swin-b-in22k'"), wrong.message)
    }

    /// E2VPT's MAE / MoCo v3 VTAB-1k cells (the rows DA-VPT quotes) run the backbone's own recipes, made from command.txt's
    /// "Documented Version (ssl mae|moco VTAB-1k)" commands, not the supervised ViT ones.
    func testE2VPTSSLVTABCellsUseTheirBackboneRecipes() throws {
        let bundle = try PaperTablesBundle(directory: Self.root.appendingPathComponent("paper-tables").path)
        let c = CellClassifier(root: Self.root)
        let keys = bundle.registry.keys().filter { $0.benchmark == "vtab1k" && $0.method == "e2vpt" && ["vit-b16-mae", "vit-b16-mocov3"].contains($0.backbone) }
        XCTAssertEqual(keys.count, 38)
        for key in keys {
            let r = c.classify(key)
            XCTAssertTrue(r.runnable, "\(key.id): \(r.message)")
            XCTAssertEqual(r.recipeFile?.path.hasSuffix("recipes/vtab1k/e2vpt/\(key.backbone)/\(key.dataset).yaml"), true, "\(key.id): \(r.recipeFile?.path ?? "none")")
            let recipe = try Recipe.load(try XCTUnwrap(r.recipeFile))
            XCTAssertEqual(recipe.backbone, key.backbone, key.id)
            XCTAssertEqual(recipe.official?.file.contains(key.backbone == "vit-b16-mae" ? "prompt_ssl_mae/VTAB-1k/" : "prompt_ssl_moco/VTAB-1k/"), true, key.id)
        }
    }
}
