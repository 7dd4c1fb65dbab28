import XCTest
import Backbones
import Methods
import Random
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
