import XCTest
@testable import Bench
import Foundation
import Methods

/// The mini table's CNN rows: ILM-VP and its FLM/RLM variants on the built-in mini ResNet.
final class MiniCNNTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testMiniTableHasTheCNNRowsOnTheMiniResNet() throws {
        let cells = CellCatalog.miniCells(root: Self.root)
        for m in ["ilm-vp", "flm-vp", "rlm-vp"] {
            let rows = cells.filter { $0.key.method == m }
            XCTAssertEqual(rows.count, CellCatalog.miniTasks.count, m)
            XCTAssertTrue(rows.allSatisfy { $0.key.backbone == "resnet-mini" }, m)
        }
        XCTAssertTrue(cells.filter { !$0.key.method.hasSuffix("lm-vp") }.allSatisfy { $0.key.backbone == "vit-mini" })
        // The id form finds the same recipe.
        let c = try CellCatalog.cell(id: "mini/scenes/ilm-vp/resnet-mini", root: Self.root)
        XCTAssertEqual(c.recipeFile.lastPathComponent, "ilm-vp.yaml")
    }

    /// A short ILM-VP run on the mini ResNet learns: well above chance (12.5% on scenes) after 3 epochs, and the
    /// run records the ResNet's architecture and the 16-px pipeline size.
    func testILMVPOnTheMiniResNetLearns() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("mini-cnn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: runs) }
        let cell = try CellCatalog.cell(id: "mini/scenes/ilm-vp/resnet-mini", root: Self.root)
        let opts = RunOptions(runs: runs, weights: Self.root.appendingPathComponent("weights/resnet-mini.safetensors"), epochs: 3, testCount: 400, quiet: true)
        let s = try Runner.run(cell, seed: 0, options: opts)
        print("ilm-vp on resnet-mini, scenes, 3 epochs: official \(s.official.accuracy)%, clean \(s.clean.accuracy)%")
        XCTAssertGreaterThan(s.official.accuracy, 25)
        XCTAssertEqual(s.params.prompts + s.params.head + s.params.other, 3 * 32 * 32, "only the 32×32 program is trained")
        let cfg = try RunStore.readJSON(ResolvedRunConfig.self, from: RunStore.folder(runs: runs, cell: cell.id, seed: 0).appendingPathComponent("config.json"))
        XCTAssertNil(cfg.backboneConfig)
        XCTAssertEqual(cfg.resnetConfig, BackboneZoo.miniResNetConfig)
        XCTAssertEqual(cfg.recipe.imageSize, 16)
    }
}
