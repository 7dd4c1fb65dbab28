import Foundation
import Methods
import XCTest
@testable import Bench

/// Every committed recipe is checked against the official configuration it cites: the cited file (a fixture under
/// Tests/Fixtures/official-configs/<owner>_<repo>/, see its MANIFEST.tsv) is imported the way the official code reads
/// it, and every value must equal the recipe's, or be listed in the recipe's `declared_differences` with the same
/// official and recipe values and a reason. A declaration that no longer matches a difference fails too.
final class OfficialRecipeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/official-configs")

    /// Recipe folders whose official source has no importer yet, with why: listed, not checked. A recipe there must
    /// not carry an `official:` block (it would name a source nothing reads), and every folder must still hold recipes.
    static let notYetImported: [String: String] = [
        // No official configuration holds these recipes' values: nothing to import them from.
        "recipes/hta/adaptformer.yaml": "no official AdaptFormer run on HTA exists: ShoufaChen/AdaptFormer has no HTA/FGVC configs (its model options are main_image.py's defaults) and the training values are KMnP/vpt's finetune protocol with VPT's grid, searched on val",
        "recipes/hta/vp.yaml": "no official VP command for HTA exists: DAM-VP's head-tuning path with one prompter and VPT's grid (hjbahng/visual_prompting's main_vision.py prompts CNNs — rn50, instagram_resnext101_32x8d, bit_m_rn50 — with lr 40 for 1000 epochs, main_vision.py:33-51; main_clip.py prompts CLIP: neither is this row's ViT-B/16 run)",
        // GatedPromptTuning publishes one example command (README.md:37) and run.sh's fixed values; per-dataset values are
        // searched on val, so there is no per-dataset configuration to import.
        "recipes/vtab1k/gatevpt.yaml": "ryongithub/GatedPromptTuning publishes no per-dataset configuration (README.md:37 is one example; run.sh:141-163 fixed values): lr searched on val",
        "recipes/fgvc/gatevpt.yaml": "ryongithub/GatedPromptTuning publishes no per-dataset configuration (README.md:37 is one example; run.sh:141-163 fixed values): lr searched on val",
        "recipes/hta/gatevpt.yaml": "no official GateVPT run on HTA exists (InsVP's 'Yoo et al' row does not say how it trained): GatedPromptTuning's run.sh values with the lr searched on val",
        "recipes/vtab1k/dtl/": "written from heekhero/DTL train_scripts/vit/vtab/*/train_dtl.sh by Tests/Fixtures/methods/dtl/make_dtl_recipes.py (no importer for its argparse)",
        "recipes/vtab1k/sct/": "written from showlab/SCT run_model_sct.sh + configs/model_sct/vtab by Tests/Fixtures/methods/sct/make_sct_recipes.py (no importer)",
        "recipes/vtab1k/noah/": "written from ZhangYuanhan-AI/NOAH experiments/NOAH/subnet/VTAB/*.yaml (RETRAIN) + configs/NOAH/VTAB/subnet/slurm_retrain_vtab.sh by Tests/Fixtures/methods/noah/make_noah_recipes.py (no importer for NOAH's yacs yaml + argparse yet)",
        "recipes/vtab1k/lora.yaml": "follows ZhangYuanhan-AI/NOAH's configs/LoRA/VTAB/slurm_train_lora_vtab.sh + supernet_train_prompt.py's parser + experiments/LoRA/ViT-B_prompt_lora_8.yaml: no importer for NOAH's format yet",
    ]

    func recipeFiles() -> [URL] {
        FileManager.default.enumerator(at: Self.root.appendingPathComponent("recipes"), includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" && !$0.path.contains("/recipes/mini/") }
            .sorted { $0.path < $1.path }
    }

    func testEveryRecipeMatchesItsOfficialConfiguration() throws {
        var checked = 0, problems: [String] = [], skipped: [String] = []
        for f in recipeFiles() {
            let rel = String(f.path.dropFirst(Self.root.path.count + 1))
            let recipe = try Recipe.load(f)
            if let folder = Self.notYetImported.keys.first(where: { rel.hasPrefix($0) }) {
                if recipe.official != nil { problems.append("\(rel): has an `official:` block but \(folder) is listed as not yet imported") }
                skipped.append(rel); continue
            }
            guard let src = recipe.official else { problems.append("\(rel): no `official:` source"); continue }
            XCTAssert(OfficialImporter.pins(recipe.method).contains(OfficialImporter.Pin(repo: src.repo, commit: src.commit, format: src.format)),
                      "\(rel): \(src.repo) @ \(src.commit) (\(src.format)) is not an importer's pinned source of \(recipe.method)")
            let file = Self.fixtures.appendingPathComponent(src.repo.replacingOccurrences(of: "/", with: "_")).appendingPathComponent(src.file)
            let imported: ImportResult
            do { imported = try OfficialImporter.run(method: recipe.method, file: file, displayPath: src.file, args: src.args ?? [], repo: src.repo) } catch {
                problems.append("\(rel): import of \(src.file) failed: \(error)"); continue
            }
            let diffs = try OfficialImporter.differences(recipeText: String(contentsOf: f, encoding: .utf8), recipeFile: rel, imported: imported)
            var declared = recipe.declaredDifferences ?? []
            for d in diffs {
                let ours = d.ours ?? .string("absent")
                if let i = declared.firstIndex(where: { $0.key == d.key }) {
                    let dec = declared.remove(at: i)
                    if !OptionValue.same(dec.official, d.official) || !OptionValue.same(dec.ours, ours) || dec.reason.count < 10 {
                        problems.append("\(rel): \(d.key) declared official \(dec.official) / ours \(dec.ours), but official is \(d.official) and ours \(ours) (or no reason)")
                    }
                } else {
                    let src = imported.values.first { $0.key == d.key }?.source ?? ""
                    problems.append("\(rel): \(d.key) = \(ours), official \(d.official) (\(src)) — undeclared difference")
                }
            }
            for d in declared { problems.append("\(rel): declared difference \(d.key) does not differ (official \(d.official))") }
            checked += 1
        }
        print("OfficialRecipeTests: \(checked) recipes checked against their official configuration; not yet imported (\(skipped.count)): \(skipped.joined(separator: ", "))")
        for folder in Self.notYetImported.keys where !skipped.contains(where: { $0.hasPrefix(folder) }) {
            problems.append("\(folder) is listed as not yet imported but holds no recipe: remove it from notYetImported")
        }
        XCTAssert(problems.isEmpty, "\n" + problems.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(checked, 256)
    }

    /// The recipe `bench recipe import` writes for each cited source loads as a recipe and reads back as the same values.
    func testImportedRecipesLoadAndRoundTrip() throws {
        var n = 0
        for f in recipeFiles() {
            guard let src = try Recipe.load(f).official else { continue }
            let method = try Recipe.load(f).method
            let file = Self.fixtures.appendingPathComponent(src.repo.replacingOccurrences(of: "/", with: "_")).appendingPathComponent(src.file)
            let r = try OfficialImporter.run(method: method, file: file, displayPath: src.file, args: src.args ?? [], repo: src.repo)
            let text = r.yaml(source: src)
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("imported-\(n).yaml")
            try text.write(to: tmp, atomically: true, encoding: .utf8)
            n += 1
            if r.value("early_stop_thr") != nil || r.value("vpt_loss_stop_thr") != nil {
                // An official early stop is not implemented: the imported recipe is rejected naming it.
                XCTAssertThrowsError(try Recipe.load(tmp), f.path) { XCTAssert("\($0)".contains("stop_thr"), "\($0)") }
                continue
            }
            if let key = Recipe.notImplemented.keys.sorted().first(where: { r.value($0) != nil }) {
                // An official setting the trainer does not implement (V-PETL Bench's RandAugment, SSF's weight EMA, …): the
                // imported recipe is rejected naming it.
                XCTAssertThrowsError(try Recipe.load(tmp), f.path) { XCTAssert("\($0)".contains(key), "\($0)") }
                continue
            }
            let loaded = try Recipe.load(tmp)
            XCTAssertEqual(loaded.official, src, f.path)
            XCTAssertEqual(try OfficialImporter.differences(recipeText: text, recipeFile: tmp.path, imported: r).map(\.key), [], f.path)
        }
        XCTAssertGreaterThanOrEqual(n, 136)
    }

    /// `linear` and `full` have two official sources: KMnP/vpt's yacs (the default) and ILM-VP's argparse CNN scripts.
    func testILMVPBaselineScriptsImport() throws {
        XCTAssertEqual(OfficialImporter.sources("linear").map(\.repo), ["KMnP/vpt", "OPTML-Group/ILM-VP"])
        let py = URL(fileURLWithPath: "/nonexistent/linear_probing.py")
        let lp = try OfficialImporter.run(method: "linear", file: py, displayPath: "experiments/cnn/linear_probing.py",
                                          args: ["--network", "resnet50", "--dataset", "dtd", "--epoch", "100"], format: "argparse")
        XCTAssertEqual(lp.value("batch_size"), .int(64))                        // prepare_data.py:180-183
        XCTAssertEqual(lp.value("schedule.milestones"), .list([.int(50), .int(72)]))
        XCTAssertEqual(lp.value("lr"), .double(0.1))                           // linear_probing.py:24
        XCTAssertEqual(lp.value("pipeline"), .string("ilm-lp"))
        let ff = try OfficialImporter.run(method: "full", file: py, displayPath: "experiments/cnn/full_finetune.py",
                                          args: ["--network", "instagram", "--dataset", "cifar100"], format: "argparse")
        XCTAssertEqual(ff.value("lr"), .double(0.0001))                        // full_finetune.py:24
        XCTAssertEqual(ff.value("weight_decay"), .double(0.0005))              // full_finetune.py:58
        XCTAssertEqual(ff.value("schedule.kind"), .string("warmup-cosine-epoch"))
        XCTAssertEqual(ff.value("batch_size"), .int(128))
        XCTAssertThrowsError(try OfficialImporter.run(method: "full", file: py, displayPath: "f.py", args: ["--network", "vit", "--dataset", "dtd"], format: "argparse")) {
            XCTAssert("\($0)".contains("network"), "\($0)")
        }
        XCTAssertThrowsError(try OfficialImporter.run(method: "linear", file: py, displayPath: "f.py", args: ["--network", "resnet18", "--dataset", "dtd", "--mapping-interval", "2"], format: "argparse")) {
            XCTAssert("\($0)".contains("mapping-interval"), "\($0)")
        }
    }

    /// A changed value is caught; a declared one must match the actual difference.
    func testDifferencesAreCaught() throws {
        let f = Self.root.appendingPathComponent("recipes/hta/insvp/cifar10.yaml")
        let src = try XCTUnwrap(try Recipe.load(f).official)
        let r = try OfficialImporter.run(method: "insvp", file: Self.fixtures.appendingPathComponent("zhoujiahuan1991_MM2024-InsVP/sh/cifar10.sh"),
                                         displayPath: src.file, args: [])
        let text = try String(contentsOf: f, encoding: .utf8)
        XCTAssertEqual(try OfficialImporter.differences(recipeText: text, recipeFile: "x", imported: r).count, 0)
        let changed = text.replacingOccurrences(of: "\nlr: 0.002", with: "\nlr: 0.02").replacingOccurrences(of: "  hid_dim: 16", with: "  hid_dim: 8")
        let d = try OfficialImporter.differences(recipeText: changed, recipeFile: "x", imported: r)
        XCTAssertEqual(Set(d.map(\.key)), ["lr", "options.hid_dim"])
        // Extra command-line flags override the script's (argparse: the later flag wins).
        let r2 = try OfficialImporter.run(method: "insvp", file: Self.fixtures.appendingPathComponent("zhoujiahuan1991_MM2024-InsVP/sh/cifar10.sh"),
                                          displayPath: src.file, args: ["--lr=0.02"])
        XCTAssertEqual(r2.value("lr"), .double(0.02))
    }

    /// The official readers' rules: yacs type checks and unknown keys, DA-VPT's cast-or-keep, argparse unknown flags,
    /// InsVP's p_len_vpt = p_len, sweeps in a script.
    func testOfficialReadingRules() throws {
        let vpt = Self.fixtures.appendingPathComponent("KMnP_vpt/configs/prompt/cub.yaml")
        let ok = ["DATA.FEATURE", "sup_vitb16_imagenet21k"]
        // yacs: an int where the default is a float is a type mismatch; a key the defaults lack does not exist.
        XCTAssertThrowsError(try OfficialImporter.run(method: "vpt-deep", file: vpt, displayPath: "configs/prompt/cub.yaml", args: ok + ["SOLVER.BASE_LR", "25", "MODEL.PROMPT.DEEP", "True"])) {
            XCTAssert("\($0)".contains("SOLVER.BASE_LR") && "\($0)".contains("type mismatch"), "\($0)")
        }
        XCTAssertThrowsError(try OfficialImporter.run(method: "vpt-deep", file: vpt, displayPath: "c", args: ok + ["MODEL.PROMPT.DEEP", "True", "SOLVER.NOPE", "1"])) {
            XCTAssert("\($0)".contains("SOLVER.NOPE"), "\($0)")
        }
        // The base config's backbone (sup_vitb16_224) is not the tables' one: rejected by name.
        XCTAssertThrowsError(try OfficialImporter.run(method: "vpt-deep", file: vpt, displayPath: "c", args: ["MODEL.PROMPT.DEEP", "True"])) {
            XCTAssert("\($0)".contains("DATA.FEATURE"), "\($0)")
        }
        // DEEP False is vpt-shallow.
        XCTAssertThrowsError(try OfficialImporter.run(method: "vpt-deep", file: vpt, displayPath: "c", args: ok)) { XCTAssert("\($0)".contains("vpt-shallow")) }
        let r = try OfficialImporter.run(method: "vpt-deep", file: vpt, displayPath: "configs/prompt/cub.yaml", args: ok + ["MODEL.PROMPT.DEEP", "True"])
        XCTAssertEqual(r.value("lr"), .double(0.1))           // cub.yaml:11
        XCTAssertEqual(r.value("epochs"), .int(100))          // base-prompt.yaml:19 over config.py:104's 30
        XCTAssertEqual(r.value("options.NUM_TOKENS"), .int(5)) // config.py:50 default
        XCTAssert(r.values.first { $0.key == "lr" }!.source.contains("configs/prompt/cub.yaml:11"))

        // DA-VPT: an int key given "0.5" keeps its default (int(v, 0) fails); an unknown key is skipped; the file wins.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("colon-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cfg = dir.appendingPathComponent("c.yaml")
        try "num_prompts: 0.5\nlr:\"0.002\"\nnot_a_key: 3\nproxy_vpt: yes\nwd_head: 5\nsched_on_updates: true\n".write(to: cfg, atomically: true, encoding: .utf8)
        let d = try OfficialImporter.run(method: "da-vpt", file: cfg, displayPath: "c.yaml", args: ["--lr", "0.1", "--epochs=7"])
        XCTAssertEqual(d.value("options.num_prompts"), .int(20))     // params.py:16 default kept
        XCTAssertEqual(d.value("lr"), .double(0.002))                // the file wins over the command line
        XCTAssertEqual(d.value("epochs"), .int(7))
        XCTAssertEqual(d.value("options.proxy_vpt"), .bool(true))
        XCTAssertEqual(d.value("options.wd_head"), .double(5))
        XCTAssert(d.noEffect.contains { $0.key == "not_a_key" } && d.noEffect.contains { $0.key == "num_prompts" })
        XCTAssertThrowsError(try OfficialImporter.run(method: "da-vpt", file: cfg, displayPath: "c.yaml", args: ["--bogus", "1"])) { XCTAssert("\($0)".contains("--bogus")) }

        // InsVP: p_len_vpt must equal p_len; a sweep is not one run.
        let main = dir.appendingPathComponent("main.py")
        let base = ["--model=InstanceVPD", "--pretrained=imagenet22k", "--scheduler=cosine"]
        XCTAssertThrowsError(try OfficialImporter.run(method: "insvp", file: main, displayPath: "main.py", args: base + ["--p_len=8", "--p_len_vpt=9"])) {
            XCTAssert("\($0)".contains("p_len_vpt"))
        }
        let sweep = dir.appendingPathComponent("s.sh")
        try "cs=(\"0.1\" \"0.2\")\nfor lr in \"${cs[@]}\"\ndo\npython main.py --lr=$lr\ndone\n".write(to: sweep, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try OfficialImporter.run(method: "insvp", file: sweep, displayPath: "s.sh", args: [])) { XCTAssert("\($0)".contains("sweeps lr")) }
        // DAM-VP: README.md:146's --adapt_method ours_with_head is not among argparse's choices.
        XCTAssertThrowsError(try OfficialImporter.run(method: "dam-vp", file: main, displayPath: "task_adapting/main.py",
                                                      args: ["--pretrained_model", "vit-b-22k", "--adapt_method", "ours_with_head"])) {
            XCTAssert("\($0)".contains("adapt_method") && "\($0)".contains("invalid choice"), "\($0)")
        }
        // SA2VP's Train_*.sh index bash arrays by the loop variable: seed=VALUE picks one run.
        let nature = Self.fixtures.appendingPathComponent("tommy-xq_SA2VP/Train_nature.sh")
        XCTAssertThrowsError(try OfficialImporter.run(method: "sa2vp", file: nature, displayPath: "Train_nature.sh", args: [])) { XCTAssert("\($0)".contains("sweeps seed")) }
        XCTAssertThrowsError(try OfficialImporter.run(method: "sa2vp", file: nature, displayPath: "Train_nature.sh", args: ["seed=9"])) { XCTAssert("\($0)".contains("seed=9")) }
        let pet = try OfficialImporter.run(method: "sa2vp", file: nature, displayPath: "Train_nature.sh", args: ["seed=4", "--batch_size", "32"])
        XCTAssertEqual(pet.value("batch_size"), .int(32))            // the later flag wins
        XCTAssertEqual(pet.value("eval_batch_size"), .int(128))
        XCTAssert(pet.noEffect.contains { $0.key == "data_set" } == false && pet.value("pipeline") == .string("sa2vp-vtab"))
        XCTAssert(pet.noEffect.contains { $0.key == "nb_classes" && $0.value == "37" }, "\(pet.noEffect.map(\.key))")
    }

    /// V-PETL Bench (one command per dataset, picked by dataset=NAME; configs/model_lora read for every method), SSF's timm
    /// train.py under torch.distributed.launch, and MLP-3 on KMnP/vpt's linear config.
    func testVPETLSSFAndMLP3Formats() throws {
        let vpetl = Self.fixtures.appendingPathComponent("synbol_Parameter-Efficient-Transfer-Learning-Benchmark/ImageClassification/scripts")
        let af = vpetl.appendingPathComponent("run_vit_adaptformer.sh")
        let path = "ImageClassification/scripts/run_vit_adaptformer.sh"
        XCTAssertThrowsError(try OfficialImporter.run(method: "adaptformer", file: af, displayPath: path, args: [])) {
            XCTAssert("\($0)".contains("24 python commands") && "\($0)".contains("dataset=CUB_200_2011"), "\($0)")
        }
        XCTAssertThrowsError(try OfficialImporter.run(method: "adaptformer", file: af, displayPath: path, args: ["dataset=imagenet"])) {
            XCTAssert("\($0)".contains("no command of the script has --dataset imagenet"), "\($0)")
        }
        let c = try OfficialImporter.run(method: "adaptformer", file: af, displayPath: path, args: ["dataset=cifar100"])
        XCTAssertEqual(c.value("lr"), .double(0.01))
        XCTAssertEqual(c.value("options.ffn_num"), .int(8))                   // --topN 8 over the yaml's topN 96
        XCTAssertEqual(c.value("batch_size"), .int(64))
        XCTAssertEqual(c.value("label_smoothing"), .double(0.1))
        XCTAssertEqual(c.value("eval_after"), .int(81))
        XCTAssert(c.values.first { $0.key == "lr" }!.source.contains("\(path):16"), "\(c.values.first { $0.key == "lr" }!.source)")
        XCTAssert(c.values.first { $0.key == "batch_size" }!.source.contains("ImageClassification/configs/model_lora/vtab/cifar100.yaml:6"))
        // A later flag wins; train_aug True comes out as the recipe key bench run rejects.
        let d = try OfficialImporter.run(method: "adaptformer", file: af, displayPath: path, args: ["dataset=dtd", "--lr", "0.5"])
        XCTAssertEqual(d.value("lr"), .double(0.5))
        XCTAssertEqual(d.value("train_aug"), .bool(true))
        // bias: KMnP/vpt for a .yaml, V-PETL Bench for its script, which reads configs/model_lora (batch 128 on FGVC).
        XCTAssertEqual(try OfficialImporter.pin("bias", file: "configs/finetune/cub.yaml").repo, "KMnP/vpt")
        let b = try OfficialImporter.run(method: "bias", file: vpetl.appendingPathComponent("run_vit_bitfit.sh"),
                                         displayPath: "ImageClassification/scripts/run_vit_bitfit.sh", args: ["dataset=CUB_200_2011"])
        XCTAssertEqual(b.value("batch_size"), .int(128))
        XCTAssertEqual(b.value("options.drop_path"), .double(0.1))
        XCTAssert(b.noEffect.contains { $0.key == "topN" }, "\(b.noEffect.map(\.key))")
        XCTAssertThrowsError(try OfficialImporter.run(method: "lora", file: vpetl.appendingPathComponent("run_vit_lora.sh"),
                                                      displayPath: "run_vit_lora.sh", args: ["dataset=cifar100", "--tuning_mode", "adapter"])) {
            XCTAssert("\($0)".contains("tuning_mode"), "\($0)")
        }

        // SSF: 32 images per process × 2 processes; the 10 cooldown epochs train too.
        let ssf = Self.fixtures.appendingPathComponent("dongzelian_SSF/train_scripts/vit")
        let v = try OfficialImporter.run(method: "ssf", file: ssf.appendingPathComponent("vtab/cifar_100/train_ssf.sh"),
                                         displayPath: "train_scripts/vit/vtab/cifar_100/train_ssf.sh", args: [])
        XCTAssertEqual(v.value("batch_size"), .int(64))
        XCTAssertEqual(v.value("epochs"), .int(110))
        XCTAssertEqual(v.value("pipeline"), .string("ssf-vtab"))
        XCTAssertEqual(v.value("lr"), .double(0.005))
        XCTAssertNil(v.value("mixup"))
        XCTAssert(v.noEffect.contains { $0.key == "amp" } && v.noEffect.contains { $0.key == "output" })
        let f = try OfficialImporter.run(method: "ssf", file: ssf.appendingPathComponent("fgvc/cub_2011/train_ssf.sh"),
                                         displayPath: "train_scripts/vit/fgvc/cub_2011/train_ssf.sh", args: [])
        XCTAssertEqual(f.value("pipeline"), .string("ssf-fgvc"))
        XCTAssertEqual(f.value("model_ema_decay"), .double(0.9998))
        XCTAssertEqual(f.value("random_erasing"), .double(0.25))
        XCTAssertEqual(f.value("train_interpolation"), .string("random"))
        XCTAssertEqual(f.value("mixup"), .double(0.8))
        XCTAssertThrowsError(try OfficialImporter.run(method: "ssf", file: URL(fileURLWithPath: "train.py"), displayPath: "train.py",
                                                      args: ["/data", "--model", "vit_base_patch16_224_in21k", "--pretrained", "--tuning-mode", "ssf", "--opt", "adamw"])) {
            XCTAssert("\($0)".contains("no-aug"), "\($0)")   // timm's ImageNet augmentation is not implemented
        }
        XCTAssertThrowsError(try OfficialImporter.run(method: "ssf", file: URL(fileURLWithPath: "train.py"), displayPath: "train.py", args: ["--lr", "1"])) {
            XCTAssert("\($0)".contains("data_dir"), "\($0)")   // the positional is required
        }

        // MLP-3: KMnP/vpt's linear config with MODEL.MLP_NUM.
        let lin = Self.fixtures.appendingPathComponent("KMnP_vpt/configs/linear/cub.yaml")
        let m = try OfficialImporter.run(method: "mlp-3", file: lin, displayPath: "configs/linear/cub.yaml",
                                         args: ["MODEL.MLP_NUM", "2", "DATA.FEATURE", "sup_vitb16_imagenet21k"])
        XCTAssertEqual(m.value("options.MLP_NUM"), .int(2))
        XCTAssertThrowsError(try OfficialImporter.run(method: "mlp-3", file: lin, displayPath: "c", args: ["DATA.FEATURE", "sup_vitb16_imagenet21k"])) {
            XCTAssert("\($0)".contains("MODEL.MLP_NUM"), "\($0)")
        }
    }

    /// FacT, RepAdapter, Hydra (petl-yaml): the entry point's parser, then the per-task yaml its get_config loads; a flag at
    /// its "use the config" value takes the config's, any other value wins (fact_tk.py:186-189, RepAdapter train.py:107,
    /// Hydra utils.py:64-75).
    func testPETLYamlFormat() throws {
        let fact = Self.fixtures.appendingPathComponent("JieShibo_PETL-ViT/FacT/fact_tk.py")
        let f = try OfficialImporter.run(method: "fact", file: fact, displayPath: "FacT/fact_tk.py", args: ["--dataset", "caltech101"])
        XCTAssertEqual(f.value("options.dim"), .int(32))
        XCTAssertEqual(f.value("options.scale"), .double(10))
        XCTAssertEqual(f.value("lr"), .double(0.001))
        XCTAssert(f.values.first { $0.key == "options.dim" }!.source.contains("FacT/configs/tk/caltech101.yaml:3"), "\(f.values.first { $0.key == "options.dim" }!.source)")
        let f8 = try OfficialImporter.run(method: "fact", file: fact, displayPath: "FacT/fact_tk.py", args: ["--dataset", "caltech101", "--dim", "8"])
        XCTAssertEqual(f8.value("options.dim"), .int(8))                      // --dim 8 over the config's rank 32
        XCTAssertEqual(f8.value("options.scale"), .double(10))
        XCTAssertThrowsError(try OfficialImporter.run(method: "fact", file: fact, displayPath: "FacT/fact_tk.py", args: ["--dataset", "nope"])) {
            XCTAssert("\($0)".contains("FacT/configs/tk/nope.yaml"), "\($0)")
        }
        XCTAssertThrowsError(try OfficialImporter.run(method: "fact", file: fact, displayPath: "FacT/fact_tk.py", args: ["--dataset", "dtd", "--model", "vit_large"])) {
            XCTAssert("\($0)".contains("'model'"), "\($0)")
        }
        XCTAssertThrowsError(try OfficialImporter.run(method: "fact", file: URL(fileURLWithPath: "run.sh"), displayPath: "FacT/run.sh", args: [])) {
            XCTAssert("\($0)".contains(".py entry point"), "\($0)")
        }

        let rep = Self.fixtures.appendingPathComponent("luogen1996_RepAdapter/train.py")
        let base = ["--dataset", "cifar", "--method", "repblock", "--dim", "8"]
        let r = try OfficialImporter.run(method: "repadapter", file: rep, displayPath: "train.py", args: base + ["--scale", "0"])
        XCTAssertEqual(r.value("options.scale"), .double(0.1))                // configs/repblock/cifar.yaml:3
        XCTAssertEqual(r.value("options.method"), .string("repblock"))
        XCTAssertEqual(try OfficialImporter.run(method: "repadapter", file: rep, displayPath: "train.py", args: base + ["--scale", "3"]).value("options.scale"), .double(3))
        XCTAssertThrowsError(try OfficialImporter.run(method: "repadapter", file: rep, displayPath: "train.py", args: base + ["--few-shot"])) {
            XCTAssert("\($0)".contains("few-shot"), "\($0)")
        }
        XCTAssertEqual(OfficialImporter.officialFlags("repadapter", format: "petl-yaml").contains("method"), true)

        let hy = Self.fixtures.appendingPathComponent("extremebird_Hydra/vtab1k/train.py")
        let exp = ["--dataset", "dtd", "--method", "hydra_both", "--dim", "2", "--scale", "0", "--lr", "-1", "--wd", "-1", "--dropout", "-1.0", "--bsize", "-1"]
        let h = try OfficialImporter.run(method: "hydra", file: hy, displayPath: "vtab1k/train.py", args: exp)
        XCTAssertEqual(h.value("batch_size"), .int(32))                       // configs/hydra_both/dtd.yaml:7
        XCTAssertEqual(h.value("options.dropout"), .double(0.2))
        XCTAssertEqual(h.value("options.scale"), .double(0.1))
        XCTAssertEqual(h.value("weight_decay"), .double(0.0001))
        XCTAssertEqual(h.value("schedule.cycleEpochs"), .int(500))
        XCTAssert(h.values.first { $0.key == "batch_size" }!.source.contains("vtab1k/configs/hydra_both/dtd.yaml:7"))
        // set_hyperparameter: lr > 0, wd ≥ 0, dropout ≥ 0, bsize > 0 replace the config's values.
        let g = try OfficialImporter.run(method: "hydra", file: hy, displayPath: "vtab1k/train.py", args: exp + ["--lr", "0.01", "--wd", "0", "--dropout", "0", "--bsize", "16"])
        XCTAssertEqual(g.value("lr"), .double(0.01))
        XCTAssertEqual(g.value("weight_decay"), .double(0))
        XCTAssertEqual(g.value("options.dropout"), .double(0))
        XCTAssertEqual(g.value("batch_size"), .int(16))
        XCTAssertThrowsError(try OfficialImporter.run(method: "hydra", file: hy, displayPath: "vtab1k/train.py", args: ["--method", "hydra_par"])) {
            XCTAssert("\($0)".contains("'method'"), "\($0)")
        }
    }

    /// The fixtures are the files the MANIFEST names, unchanged.
    func testFixturesMatchManifest() throws {
        let rows = try String(contentsOf: Self.fixtures.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("repository\t") }
        XCTAssertGreaterThan(rows.count, 30)
        for r in rows {
            let c = r.split(separator: "\t").map(String.init)
            XCTAssertEqual(c.count, 4, String(r))
            let data = try Data(contentsOf: Self.fixtures.appendingPathComponent(c[0].replacingOccurrences(of: "/", with: "_")).appendingPathComponent(c[1]))
            XCTAssertEqual(SHA256.hex(data), c[3], c[1])
        }
    }
}

/// `bench probe` reads official option names as the official code does instead of rejecting those the method does not take.
final class ProbeOfficialOptionsTests: XCTestCase {
    func probe(_ method: String, _ yaml: String) throws -> ProbeConfig {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(method)-\(getpid()).yaml")
        try yaml.write(to: f, atomically: true, encoding: .utf8)
        return try ProbeConfig.load(f)
    }

    func testInsVPMixupAndPLenVPT() throws {
        let (o, notes) = try OfficialImporter.probeOptions(method: "insvp", ["p_len": .int(4), "p_len_vpt": .int(4), "mixup": .string("mixup"),
                                                                             "hid_dim": .int(8), "simam": .bool(true), "FIXED_TOKENPROMPT": .bool(true)])
        XCTAssertEqual(o, ["p_len": .int(4), "hid_dim": .int(8), "simam": .bool(true), "FIXED_TOKENPROMPT": .bool(true)])
        XCTAssert(notes.contains { $0.hasPrefix("mixup") } && notes.contains { $0.hasPrefix("p_len_vpt") }, "\(notes)")
        XCTAssertThrowsError(try OfficialImporter.probeOptions(method: "insvp", ["p_len": .int(4), "p_len_vpt": .int(5)])) { XCTAssert("\($0)".contains("p_len_vpt")) }
        // The method builds from a probe config holding them (before: "unknown option(s) mixup, p_len_vpt").
        let cfg = try probe("insvp", """
            backbone: {imageSize: 32, patchSize: 8, channels: 3, dim: 96, depth: 1, heads: 2, mlpDim: 8, numClasses: 0, preLogits: false, layerNormEps: 1.0e-6}
            num_classes: 3
            options: {p_len: 16, p_len_vpt: 16, deep_layer: 1, mixup: mixup, cutmix_alpha: 1.0, prompt_patch: 4, hid_dim: 16, prompt_patch_2: 3,
                      prompt_patch_22: 5, TP_kernel_1: 3, TP_kernel_2: 3, TP_crop_1: 0, TP_pool_1: 4, TP_crop_2: 0, TP_pool_2: 2}
            """)
        XCTAssertNoThrow(try cfg.makeMethod("insvp"))
    }

    func testDAVPTFp16AndDAMVPCropSize() throws {
        let (o, notes) = try OfficialImporter.probeOptions(method: "da-vpt", ["fp16": .bool(true), "num_prompts": .int(3)])
        XCTAssertEqual(o, ["num_prompts": .int(3)])
        XCTAssert(notes.contains { $0.hasPrefix("fp16") }, "\(notes)")
        let (d, dn) = try OfficialImporter.probeOptions(method: "dam-vp", ["crop_size": .int(224), "prompt_size": .int(4)])
        XCTAssertEqual(d, ["prompt_size": .int(4)])
        XCTAssert(dn.contains { $0.hasPrefix("crop_size") }, "\(dn)")
        XCTAssertThrowsError(try OfficialImporter.probeOptions(method: "dam-vp", ["crop_size": .int(448)])) { XCTAssert("\($0)".contains("crop_size")) }
    }
}
