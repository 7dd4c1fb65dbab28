// What each official key means for our recipes, per method: mapped to a recipe value, "no effect on results" (with
// the reason), or accepted only at the value our implementation reproduces. A key a table lacks is an error.
import Engine
import Foundation
import Methods

/// Rule builders.
enum R {
    /// The official value under recipe key `k`.
    static func to(_ k: String) -> KeyRule {
        .map { v, _ in guard let v else { throw MappingError("None is not a value for \(k)") }; return [(k, v)] }
    }
    /// The official value under `k`, as a float (argparse/yacs floats written as ints elsewhere).
    static func double(_ k: String) -> KeyRule {
        .map { v, _ in guard let d = v?.number else { throw MappingError("\(k) needs a number") }; return [(k, .double(d))] }
    }
    /// Only this official value is implemented.
    static func only(_ v: OptionValue?, _ why: String) -> KeyRule { .only([v], why) }
    static func noEffect(_ why: String) -> KeyRule { .noEffect(why) }
    /// `keys` each under `rule`.
    static func all(_ keys: [String], _ rule: KeyRule) -> [String: KeyRule] { Dictionary(uniqueKeysWithValues: keys.map { ($0, rule) }) }
    /// Only the parser's default value of each key is implemented.
    static func defaultsOnly(_ keys: [String], of parser: ArgParser, _ why: String) -> [String: KeyRule] {
        Dictionary(uniqueKeysWithValues: keys.map { k in (k, KeyRule.only([parser.specs.first { $0.name == k }!.defaultValue], why)) })
    }
    static func code(_ k: String, _ v: OptionValue, _ src: String) -> ImportedValue { ImportedValue(key: k, value: v, source: src) }
}

extension OfficialMapping {
    /// The mapping for `method` in `format` (`yacs`, `colon`, `argparse`).
    public static func named(_ method: String, format: String) throws -> OfficialMapping {
        switch (method, format) {
        case ("vpt-deep", "yacs"), ("vpt-shallow", "yacs"): return kmnpVPT(method)
        case ("da-vpt", "colon"): return davpt
        case ("da-vpt-plus", "colon"):   // the same reader; the configs' efficient-bias flags are what make a run DA-VPT+
            var m = davpt
            m.method = "da-vpt-plus"
            return m
        case ("insvp", "argparse"): return insvp
        case ("e2vpt", "yacs"): return e2vpt
        case ("linear", "yacs"), ("full", "yacs"), ("bias", "yacs"), ("partial-1", "yacs"), ("adapter", "yacs"), ("mlp-3", "yacs"), ("sidetune", "yacs"): return kmnpBaseline(method)
        case ("ilm-vp", "argparse"), ("flm-vp", "argparse"), ("rlm-vp", "argparse"): return ilmFamily(method)
        case ("linear", "argparse"), ("full", "argparse"): return ilmBaseline(method)
        case ("dam-vp", "argparse"): return damvp
        case ("sa2vp", "argparse"): return sa2vp
        case ("adaptformer", "vpetl"), ("lora", "vpetl"), ("bias", "vpetl"): return vpetl(method)
        case ("ssf", "timm"): return ssf
        case ("fact", "petl-yaml"): return fact
        case ("repadapter", "petl-yaml"): return repadapter
        case ("hydra", "petl-yaml"): return hydra
        case ("sa2vp-swin", "argparse"):
            var m = sa2vp
            m.method = "sa2vp-swin"
            for k in ["discrete_vae_weight_path", "discrete_vae_type"] { m.rules[k] = R.noEffect("read only by BEiT's pre-training datasets (datasets.py DataAugmentationForBEiT)") }
            m.codeValues = [R.code("drop_last", .bool(true), "vit_train_swin.py:318 drop_last=True")]
            return m
        default:
            throw MappingError("no importer for method '\(method)' from format '\(format)' (known: \(OfficialImporter.pinned.keys.sorted().joined(separator: ", ")), bias also from V-PETL Bench)")
        }
    }

    /// The official parser/defaults a method's format reads with.
    public static func formatOf(_ method: String) -> String? {
        ["vpt-deep": "yacs", "vpt-shallow": "yacs", "e2vpt": "yacs", "linear": "yacs", "mlp-3": "yacs", "sidetune": "yacs", "full": "yacs", "bias": "yacs",
         "partial-1": "yacs", "adapter": "yacs", "da-vpt": "colon", "da-vpt-plus": "colon", "insvp": "argparse", "ilm-vp": "argparse", "flm-vp": "argparse", "rlm-vp": "argparse", "dam-vp": "argparse", "sa2vp": "argparse", "sa2vp-swin": "argparse",
         "adaptformer": "vpetl", "lora": "vpetl", "ssf": "timm", "fact": "petl-yaml", "repadapter": "petl-yaml", "hydra": "petl-yaml"][method]
    }

    // MARK: KMnP/vpt (train.py: config.py defaults ← --config-file (+ _BASE_) ← KEY VALUE opts)

    static func kmnpVPT(_ method: String) -> OfficialMapping {
        let dist = "distributed-launch setting; one process here"
        let out = "output, logging or checkpoint location"
        var r: [String: KeyRule] = [
            "MODEL.TRANSFER_TYPE": R.only(.string("prompt"), "VPT prompt tuning, src/models/vit_models.py"),
            "MODEL.TYPE": R.only(.string("vit"), "ViT backbone"),
            "MODEL.PROMPT.NUM_TOKENS": R.to("options.NUM_TOKENS"),
            "MODEL.PROMPT.DEEP": .map { v, _ in
                guard case .bool(let deep)? = v else { throw MappingError("needs True/False") }
                if deep != (method == "vpt-deep") {
                    throw MappingError("MODEL.PROMPT.DEEP \(deep) is \(deep ? "vpt-deep" : "vpt-shallow"); import it with --method \(deep ? "vpt-deep" : "vpt-shallow")")
                }
                return [("options.DEEP", .bool(deep))]
            },
            "MODEL.PROMPT.DROPOUT": R.double("options.DROPOUT"),
            "MODEL.PROMPT.LOCATION": R.only(.string("prepend"), "prompts prepended after [CLS], vit.py incorporate_prompt"),
            "MODEL.PROMPT.INITIATION": R.only(.string("random"), "uniform Xavier-range init, vit.py PromptedTransformer"),
            "MODEL.PROMPT.CLSEMB_FOLDER": R.noEffect("read only with INITIATION final-cls / cls-*; INITIATION is random"),
            "MODEL.PROMPT.CLSEMB_PATH": R.noEffect("read only with INITIATION final-cls / cls-*; INITIATION is random"),
            "MODEL.PROMPT.PROJECT": R.only(.int(-1), "no prompt projection"),
            "MODEL.PROMPT.NUM_DEEP_LAYERS": R.only(nil, "deep prompts in every layer"),
            "MODEL.PROMPT.REVERSE_DEEP": R.only(.bool(false), "deep prompts from the first layer"),
            "MODEL.PROMPT.DEEP_SHARED": R.only(.bool(false), "one prompt per layer"),
            "MODEL.PROMPT.FORWARD_DEEP_NOEXPAND": R.only(.bool(false), "every layer sees its prompts"),
            "MODEL.PROMPT.VIT_POOL_TYPE": R.only(.string("original"), "[CLS] pooling"),
            "MODEL.PROMPT.SAVE_FOR_EACH_EPOCH": R.noEffect(out),
            "MODEL.LINEAR.MLP_SIZES": R.noEffect("not read by ViT models: the head is MLP(MLP_NUM × feat_dim + [classes]) (src/models/vit_models.py:159-165)"),
            "MODEL.LINEAR.DROPOUT": R.noEffect("not read by ViT models (src/models/vit_models.py:159-165 uses the MLP class default)"),
            "MODEL.MLP_NUM": R.only(.int(0), "a linear head"),
            "MODEL.ADAPTER.REDUCATION_FACTOR": R.noEffect("read only with TRANSFER_TYPE adapter"),
            "MODEL.ADAPTER.STYLE": R.noEffect("read only with TRANSFER_TYPE adapter"),
            "MODEL.WEIGHT_PATH": R.only(.string(""), "training from the pre-trained backbone, not resuming"),
            "MODEL.SAVE_CKPT": R.noEffect(out), "MODEL.MODEL_ROOT": R.noEffect("folder of the backbone weights (the table names the backbone)"),
            "SOLVER.LOSS": R.only(.string("softmax"), "cross-entropy"),
            "SOLVER.LOSS_ALPHA": R.noEffect("read only by the non-softmax losses; LOSS is softmax"),
            "SOLVER.OPTIMIZER": .map { v, _ in
                guard case .string(let s)? = v, s == "sgd" || s == "adamw" else { throw MappingError("sgd or adamw") }
                return [("optimizer.kind", .string(s))]
            },
            "SOLVER.MOMENTUM": .map { v, s in
                guard case .string("sgd")? = s["SOLVER.OPTIMIZER"]?.value else { return [] }   // read only by SGD (src/solver/optimizer.py)
                return [("optimizer.momentum", .double(v?.number ?? 0))]
            },
            "SOLVER.WEIGHT_DECAY": R.double("weight_decay"),
            "SOLVER.WEIGHT_DECAY_BIAS": R.only(.int(0), "src/solver/optimizer.py: no decay on the head's bias"),
            "SOLVER.PATIENCE": .map { v, s in
                guard let p = v?.number, let e = s["SOLVER.TOTAL_EPOCH"]?.value?.number else { throw MappingError("needs a number") }
                if p < e { throw MappingError("early stop after \(Int(p)) epochs without a better val accuracy (trainer.py:235-251) is not implemented; only PATIENCE ≥ TOTAL_EPOCH") }
                return []
            },
            "SOLVER.SCHEDULER": .map { v, _ in
                guard case .string("cosine")? = v else { throw MappingError("only cosine (WarmupCosineSchedule) is implemented") }
                return [("schedule.kind", .string("warmup-cosine-epoch"))]
            },
            "SOLVER.BASE_LR": R.double("lr"),
            "SOLVER.BIAS_MULTIPLIER": R.only(.double(1.0), "the same lr for biases"),
            "SOLVER.WARMUP_EPOCH": R.to("schedule.warmupEpochs"),
            "SOLVER.TOTAL_EPOCH": R.to("epochs"),
            "SOLVER.LOG_EVERY_N": R.noEffect(out), "SOLVER.DBG_TRAINABLE": R.noEffect(out),
            "DATA.NAME": .map { v, _ in
                guard case .string(let n)? = v else { return [] }
                // vtab-* goes through tf_dataset.py (resize, no crop); the FGVC json datasets through transforms.py.
                // Clean selection (bench's, not an official setting): VTAB has no val split in the final runs (last epoch);
                // FGVC evaluates val every epoch (vis_utils.get_df b- columns).
                let vtab = n.hasPrefix("vtab-")
                return [("pipeline", .string(vtab ? "vpt-vtab" : "vpt-fgvc")),
                        ("clean_selection", .string(vtab ? "last-epoch-test" : "test-at-best-val-epoch"))]
            },
            "DATA.DATAPATH": R.noEffect("dataset folder (the cell names the dataset)"),
            "DATA.FEATURE": R.only(.string("sup_vitb16_imagenet21k"), "the tables' ViT-B/16 ImageNet-21k backbone (imagenet21k_ViT-B_16.npz, build_vit_backbone.py:35)"),
            "DATA.PERCENTAGE": R.only(.double(1.0), "the whole training split"),
            "DATA.NUMBER_CLASSES": R.noEffect("read from the dataset"),
            "DATA.MULTILABEL": R.only(.bool(false), "single-label classification"),
            "DATA.CLASS_WEIGHTS_TYPE": R.only(.string("none"), "unweighted loss"),
            "DATA.CROPSIZE": R.only(.int(224), "224-pixel inputs"),
            "DATA.NO_TEST": R.only(.bool(false), "the test split is evaluated"),
            "DATA.BATCH_SIZE": R.to("batch_size"),
            "DATA.NUM_WORKERS": R.noEffect("data-loading processes"), "DATA.PIN_MEMORY": R.noEffect("data-loading memory"),
            "DBG": R.only(.bool(false), "no debug mode"), "OUTPUT_DIR": R.noEffect(out),
            "RUN_N_TIMES": R.noEffect("repeats of the run; bench repeats a cell per seed"),
            "CUDNN_BENCHMARK": R.noEffect("cuDNN kernel choice (GPU only)"),
            "NUM_GPUS": R.only(.int(1), "one process; more GPUs would change the batch"), "NUM_SHARDS": R.only(.int(1), dist),
            "SEED": R.noEffect("the run's seed is the cell's seed (bench --seeds)"),
        ]
        for k in ["DIST_BACKEND", "DIST_INIT_PATH", "DIST_INIT_FILE"] { r[k] = R.noEffect(dist) }
        return OfficialMapping(method: method, rules: r, codeValues: [
            R.code("official_selection", .string("last-epoch-test"), "demo.ipynb cells 7-9: get_df(is_last=True), average_df(\"l-test_top1\")"),
        ])
    }

    /// The VPT paper's baselines in the same code base: linear (configs/linear), full (end2end), bias (tinytl-bias),
    /// partial-1 and adapter (configs/finetune + MODEL.TRANSFER_TYPE, demo.ipynb cell 2); Sidetune is configs/linear with
    /// MODEL.TRANSFER_TYPE "side" (demo.ipynb cell 2).
    static func kmnpBaseline(_ method: String) -> OfficialMapping {
        var r = kmnpVPT("vpt-deep").rules
        for k in YacsDefaults.kmnpVPT.entries.map(\.key) where k.hasPrefix("MODEL.PROMPT.") {
            r[k] = R.noEffect("read only with TRANSFER_TYPE prompt")
        }
        let type = ["linear": "linear", "full": "end2end", "bias": "tinytl-bias", "partial-1": "partial-1", "adapter": "adapter", "mlp-3": "linear", "sidetune": "side"][method]!
        r["MODEL.TRANSFER_TYPE"] = R.only(.string(type), "src/models/vit_models.py transfer type of \(method)")
        if method == "mlp-3" {
            // demo.ipynb cell 2 "MLP-3 (3 layer MLP): --config-file configs/linear/*.yaml MODEL.MLP_NUM "2"": the head is
            // MLP([feat_dim] × MLP_NUM + [classes]) (src/models/vit_models.py:159-165).
            r["MODEL.MLP_NUM"] = .map { v, _ in
                guard case .int(let n)? = v, n >= 1 else { throw MappingError("MLP-k needs MLP_NUM ≥ 1 (0 is the linear probe: --method linear)") }
                return [("options.MLP_NUM", .int(n))]
            }
        }
        if method == "adapter" {
            r["MODEL.ADAPTER.REDUCATION_FACTOR"] = R.to("options.REDUCATION_FACTOR")
            r["MODEL.ADAPTER.STYLE"] = R.to("options.STYLE")
        }
        return OfficialMapping(method: method, rules: r, codeValues: [
            R.code("official_selection", .string("last-epoch-test"), "demo.ipynb cells 7-9: get_df(is_last=True), average_df(\"l-test_top1\")"),
        ])
    }

    // MARK: E2VPT (the KMnP/vpt code base with MODEL.P_VK; its own src/configs/config.py defaults)

    /// E2VPT's DATA.FEATURE values the tables use → (MODEL.TYPE that builds it, our backbone id when not the default
    /// ViT-B/16 IN-21k). build_vit_backbone.py: sup_* (ViT), mae_vitb16 / mocov3_vitb (SSLViT), swinb_imagenet22k_224 (Swin).
    static let e2vptFeatures: [String: (type: String, backbone: String?)] = [
        "sup_vitb16_224": ("vit", nil), "sup_vitb16_imagenet21k": ("vit", nil),
        "mae_vitb16": ("ssl-vit", "vit-b16-mae"), "mocov3_vitb": ("ssl-vit", "vit-b16-mocov3"),
        "swinb_imagenet22k_224": ("swin", "swin-b-in22k"),
    ]

    static var e2vpt: OfficialMapping {
        var r = kmnpVPT("vpt-deep").rules
        let vpt = r
        for k in YacsDefaults.e2vpt.entries.map(\.key) where k.hasPrefix("MODEL.PROMPT.") {
            r[k] = R.noEffect("read only with TRANSFER_TYPE prompt; E2VPT's prompts are MODEL.P_VK")
        }
        for k in YacsDefaults.e2vpt.entries.map(\.key) where k.hasPrefix("MODEL.QKV_insert.") { r[k] = R.noEffect("read only with TRANSFER_TYPE QKV_insert") }
        r["MODEL.TRANSFER_TYPE"] = R.only(.string("P_VK"), "E2VPT's visual + key-value prompts")
        for k in ["NUM_TOKENS_P", "NUM_TOKENS", "DEEP_P", "DEEP", "LAYER_BEHIND", "SHARE_PARAM_KV", "ORIGIN_INIT", "MASK_CLS_TOKEN",
                  "CLS_TOKEN_MASK", "CLS_TOKEN_MASK_PIECES", "CLS_TOKEN_P_PIECES_NUM", "CLS_TOKEN_MASK_PERCENT", "CLS_TOKEN_PIECE_MASK_PERCENT",
                  "MIN_NUMBER_CLS_TOKEN", "MIN_NUMBER_CLS_TOKEN_PIECE", "MASK_RESERVE", "NORMALIZE_SCORES_BY_TOKEN", "REWIND_STATUS",
                  "REWIND_OUTPUT_DIR", "REWIND_MASK_CLS_TOKEN_NUM", "REWIND_MASK_CLS_TOKEN_PIECE_NUM"] {
            r["MODEL.P_VK." + k] = R.to("options." + k)
        }
        r["MODEL.P_VK.DROPOUT_P"] = R.double("options.DROPOUT_P"); r["MODEL.P_VK.DROPOUT"] = R.double("options.DROPOUT")
        for k in ["LOCATION", "INITIATION", "CLSEMB_FOLDER", "CLSEMB_PATH", "PROJECT", "NUM_DEEP_LAYERS", "REVERSE_DEEP", "DEEP_SHARED",
                  "FORWARD_DEEP_NOEXPAND", "VIT_POOL_TYPE", "SAVE_FOR_EACH_EPOCH"] {
            r["MODEL.P_VK." + k] = vpt["MODEL.PROMPT." + k]
        }
        r["MODEL.P_VK.SHARED_ACCROSS"] = R.only(.bool(false), "one prompt set per layer")
        r["MODEL.P_VK.CLS_TOKEN_MASK_PERCENT_NUM"] = R.only(nil, "masking ratios from CLS_TOKEN_MASK_PERCENT")
        r["MODEL.P_VK.CLS_TOKEN_PIECE_MASK_PERCENT_NUM"] = R.only(nil, "masking ratios from CLS_TOKEN_PIECE_MASK_PERCENT")
        r["MODEL.P_VK.SAVE_REWIND_MODEL"] = R.noEffect("output, logging or checkpoint location")
        r["MODEL.P_VK.MASK_CLS_TOKEN_ON_VK"] = R.only(.bool(false), "token masks on visual prompts only")
        r["MODEL.P_VK.QUERY_PROMPT_MODE"] = R.only(.int(0), "the default query path")
        r["MODEL.P_VK.FT_PT_MIXED"] = R.only(.bool(false), "prompt tuning only")
        r["MODEL.SAVE_CKPT_FINALRUNS"] = R.noEffect("output, logging or checkpoint location")
        r["SAVE_LOGITS"] = R.noEffect("output, logging or checkpoint location")
        r["ATTRIBUTION_TYPE"] = R.noEffect("read only by tune_vtab_AS.py (attribution analysis)")
        r["ATTRIBUTION_INTEGRATED_METHOD"] = R.noEffect("read only by tune_vtab_AS.py (attribution analysis)")
        r["DATA.EVEN_SEPARETE"] = R.only(.bool(false), "the official VTAB-1k splits (src/data/datasets/tf_dataset.py:104)")
        for k in ["MAX_IMAGES_PER_CLASS_TRAIN", "MAX_IMAGES_PER_CLASS_VAL"] { r["DATA." + k] = R.noEffect("read only with DATA.EVEN_SEPARETE (tf_dataset.py:104-128)") }
        for k in ["RANDOM_SEED", "RAMDOM_TRAIN_IMAGE_NUM", "RAMDOM_TEST_IMAGE_NUM", "RAMDOM_VAL_IMAGE_NUM", "RAMDOM_TRAIN", "RAMDOM_TEST", "RAMDOM_VAL"] {
            r["DATA." + k] = R.noEffect("read only by the ImageNet loader (src/data/loader_imagenet.py)")
        }
        // The commands keep base-prompt_changed_P_VK.yaml's sup_vitb16_224 (build_vit_backbone.py:38 ViT-B_16-224.npz); README:110
        // has users download the IN-21k ViT-B_16.npz: both stand for the tables' IN-21k ViT-B/16 here.
        // The other backbones' base configs (base-prompt_changed_P_VK_{ssl_mae,ssl_moco,swin}.yaml) name theirs, which the
        // recipe says with `backbone:` (recipes/<b>/e2vpt/<backbone>/<dataset>.yaml); MODEL.TYPE must be the model class
        // that builds that FEATURE (src/models/build_model.py:14-20), else the official run stops.
        r["DATA.FEATURE"] = .map { v, _ in
            guard case .string(let f)? = v, let b = Self.e2vptFeatures[f] else {
                throw MappingError("one of \(Self.e2vptFeatures.keys.sorted().joined(separator: ", "))")
            }
            return b.backbone.map { [("backbone", .string($0))] } ?? []
        }
        r["MODEL.TYPE"] = .map { v, s in
            guard case .string(let t)? = v, case .string(let f)? = s["DATA.FEATURE"]?.value, let b = Self.e2vptFeatures[f] else {
                throw MappingError("needs a DATA.FEATURE of \(Self.e2vptFeatures.keys.sorted().joined(separator: ", "))")
            }
            guard t == b.type else {
                throw MappingError("MODEL.TYPE \(t) cannot build DATA.FEATURE \(f) (its model class is \(b.type), src/models/build_model.py:14-20)")
            }
            return []
        }
        // The head is sized by the yaml's NUMBER_CLASSES (tune_vtab_CVK.py defines DATA2CLS but never applies it).
        r["DATA.NUMBER_CLASSES"] = R.to("options.NUMBER_CLASSES")
        return OfficialMapping(method: "e2vpt", rules: r, codeValues: [
            R.code("official_selection", .string("last-epoch-test"), "get_results_vtab.py:17-44 average_df(\"l-test_top1\")"),
        ])
    }

    // MARK: ILM-VP / FLM-VP / RLM-VP (experiments/cnn/{ilm,flm,rlm}_vp.py argparse; per-dataset input size and batch
    // size fixed in data/prepare_data.py). The three scripts differ only in the label mapping and in FLM/RLM lacking
    // --mapping-interval, so one mapping with each script's line numbers.

    static func ilmFamily(_ method: String) -> OfficialMapping {
        let py = method.replacingOccurrences(of: "-", with: "_") + ".py"
        /// (ExpansiveVisualPrompt, Adam, MultiStepLR, best.pth lines) of each script.
        let lines: [String: (String, String, String, String)] = [
            "ilm-vp": ("62", "65", "66", "125-143"), "flm-vp": ("60", "63", "64", "140-144"), "rlm-vp": ("63", "66", "67", "141-145"),
        ]
        let (vpLine, adamLine, schedLine, bestLines) = lines[method]!
        /// data/prepare_data.py `prepare_expansive_data`: (input size, train batch size, lines).
        let data: [String: (Int, Int, String)] = [
            "cifar10": (32, 128, "42, 37"), "cifar100": (32, 128, "56, 51"), "gtsrb": (32, 128, "60-71, 66"), "svhn": (32, 128, "85, 80"),
            "food101": (128, 128, "108-119, 114"), "eurosat": (128, 128, "108-119, 114"), "sun397": (128, 128, "108-119, 114"),
            "ucf101": (128, 128, "108-119, 114"), "stanfordcars": (128, 128, "108-119, 114"), "flowers102": (128, 128, "108-119, 114"),
            "dtd": (128, 64, "124-135, 130"), "oxfordpets": (128, 64, "124-135, 130"),
        ]
        var r: [String: KeyRule] = [:]
        r["network"] = .map { v, _ in
            guard case .string(let n)? = v, ["resnet18", "resnet50", "instagram"].contains(n) else { throw MappingError("required: resnet18, resnet50 or instagram") }
            return []   // the frozen network is the cell's backbone (resnet18 → torchvision IMAGENET1K_V1, ilm_vp.py:47-55)
        }
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["dataset"] = .map { v, _ in
            guard case .string(let d)? = v, let (size, batch, _) = data[d] else { throw MappingError("required; one of \(data.keys.sorted().joined(separator: ", "))") }
            return [("options.input_size", .int(size)), ("batch_size", .int(batch))]   // data/prepare_data.py mask size, DataLoader batch
        }
        if method == "ilm-vp" { r["mapping-interval"] = R.to("options.mapping_interval") }
        r["epoch"] = .map { v, _ in
            guard case .int(let e)? = v else { throw MappingError("needs an int") }
            // the script's MultiStepLR(milestones=[int(0.5·E), int(0.72·E)], gamma=0.1)
            return [("epochs", .int(e)), ("schedule.milestones", .list([.int(Int(0.5 * Double(e))), .int(Int(0.72 * Double(e)))]))]
        }
        r["lr"] = R.double("lr")
        return OfficialMapping(method: method, rules: r, codeValues: [
            R.code("options.out_size", .int(224), "\(py):\(vpLine) ExpansiveVisualPrompt(224, …)"),
            R.code("optimizer.kind", .string("adam"), "\(py):\(adamLine) Adam(visual_prompt.parameters(), lr=args.lr)"),
            R.code("optimizer.betas", .list([.double(0.9), .double(0.999)]), "torch defaults"),
            R.code("weight_decay", .double(0), "\(py):\(adamLine) (no weight decay)"),
            R.code("schedule.kind", .string("multistep"), "\(py):\(schedLine) MultiStepLR, stepped per epoch"),
            R.code("schedule.gamma", .double(0.1), "\(py):\(schedLine)"),
            R.code("official_selection", .string("best-test-over-epochs"), "best.pth saved on test-accuracy improvement (\(py):\(bestLines))"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
            R.code("pipeline", .string("ilm-vp"), "data/prepare_data.py: Resize + ToTensor, no augmentation"),
        ])
    }

    // MARK: ILM-VP's CNN baselines (experiments/cnn/linear_probing.py, full_finetune.py argparse; batch size per dataset
    // fixed in data/prepare_data.py prepare_additive_data).

    static func ilmBaseline(_ method: String) -> OfficialMapping {
        let lp = method == "linear"
        let py = lp ? "linear_probing.py" : "full_finetune.py"
        /// data/prepare_data.py `prepare_additive_data`: (train batch size, lines).
        let data: [String: (Int, String)] = [
            "cifar10": (128, "148-151"), "cifar100": (128, "156-159"), "svhn": (128, "164-167"),
            "food101": (128, "172-175"), "sun397": (128, "172-175"), "eurosat": (128, "172-175"), "ucf101": (128, "172-175"),
            "stanfordcars": (128, "172-175"), "flowers102": (128, "172-175"), "dtd": (64, "180-183"), "oxfordpets": (64, "180-183"),
            "gtsrb": (128, "188-191"), "abide": (64, "206-209"),
        ]
        var r: [String: KeyRule] = [:]
        r["network"] = .map { v, _ in
            guard case .string(let n)? = v, ["resnet18", "resnet50", "instagram"].contains(n) else { throw MappingError("required: resnet18, resnet50 or instagram") }
            return []   // the network is the cell's backbone (script lines 41-51: resnet18 IMAGENET1K_V1, resnet50 IMAGENET1K_V2, ResNeXt-101-32x8d WSL)
        }
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["dataset"] = .map { v, _ in
            guard case .string(let d)? = v, let (batch, _) = data[d] else { throw MappingError("required; one of \(data.keys.sorted().joined(separator: ", "))") }
            return [("batch_size", .int(batch))]   // data/prepare_data.py prepare_additive_data DataLoader batch
        }
        r["epoch"] = .map { v, _ in
            guard case .int(let e)? = v else { throw MappingError("needs an int") }
            // linear: MultiStepLR(milestones=[int(0.5·E), int(0.72·E)]); full: CosineAnnealingLR(T_max=E), both per epoch.
            return lp ? [("epochs", .int(e)), ("schedule.milestones", .list([.int(Int(0.5 * Double(e))), .int(Int(0.72 * Double(e)))]))]
                : [("epochs", .int(e))]
        }
        r["lr"] = R.double("lr")
        var code = [
            R.code("image_size", .int(224), lp ? "\(py):33 Resize((224,224))" : "\(py):34 RandomCrop(224)"),
            R.code("optimizer.kind", .string("adam"), lp ? "\(py):59 Adam(network.fc.parameters(), lr=args.lr)" : "\(py):58 Adam(network.parameters(), lr=args.lr, weight_decay=5e-4)"),
            R.code("optimizer.betas", .list([.double(0.9), .double(0.999)]), "torch defaults"),
            R.code("weight_decay", .double(lp ? 0 : 0.0005), lp ? "\(py):59 (no weight decay)" : "\(py):58 weight_decay=5e-4"),
            R.code("official_selection", .string("best-test-over-epochs"), "best.pth saved on test-accuracy improvement (\(py):\(lp ? "116-119" : "115-118"))"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
        ]
        if lp {
            code += [R.code("schedule.kind", .string("multistep"), "\(py):60 MultiStepLR, stepped per epoch (:90)"),
                     R.code("schedule.gamma", .double(0.1), "\(py):60"),
                     R.code("pipeline", .string("ilm-lp"), "\(py):32-37 Resize((224,224)) + ToTensor + ImageNet Normalize")]
        } else {
            code += [R.code("schedule.kind", .string("warmup-cosine-epoch"), "\(py):59 CosineAnnealingLR(T_max=E), stepped per epoch (:89)"),
                     R.code("schedule.warmupEpochs", .int(0), "\(py):59 (no warmup)"),
                     R.code("pipeline", .string("ilm-ff"), "\(py):32-39 Resize((256,256)) + RandomCrop(224) + RandomHorizontalFlip, train and test")]
        }
        return OfficialMapping(method: method, rules: r, codeValues: code)
    }

    // MARK: DAM-VP (task_adapting/main.py, arguments.py stage task_adapting)

    static var damvp: OfficialMapping {
        var r: [String: KeyRule] = [:]
        for k in ["pretrained_model", "prompt_size", "wo_da", "adapt_method"] { r[k] = R.to("options." + k) }
        // argparse choices (arguments.py:7-16 MODEL_LIST, :171): README.md:146's `--adapt_method ours_with_head` fails here as there.
        let choices: [String: [String]] = [
            "adapt_method": ["prompt_wo_head", "prompt_w_head"],
            "pretrained_model": ["resnet50-1k", "vit-b-1k", "vit-b-22k", "swin-b-1k", "swin-b-22k", "moco-v3-b-1k", "clip-resnet50", "clip-vit-b"],
        ]
        for (k, allowed) in choices {
            r[k] = .map { v, _ in
                guard case .string(let x)? = v, allowed.contains(x) else {
                    throw MappingError("invalid choice (argparse choices: \(allowed.joined(separator: ", ")))")
                }
                return [("options." + k, .string(x))]
            }
        }
        r["epochs"] = R.to("epochs"); r["batch_size"] = R.to("batch_size")
        r["lr"] = R.double("lr"); r["weight_decay"] = R.double("weight_decay")
        r["test_dataset"] = R.noEffect("dataset name (the cell names the dataset)")
        r["base_dir"] = R.noEffect("dataset location (the cell names the dataset)")
        r["checkpoint_dir"] = R.noEffect("the meta-trained prompt file: given to the runner (DAMVP.loadMetaPrompt), not a recipe value")
        r["output_dir"] = R.noEffect("output, logging or checkpoint location")
        r["diversities"] = R.noEffect("read only by meta-training (not by task_adapting/*.py)")
        r["optimizer"] = R.noEffect("not read by task adapting: task_adapting/adapter.py:287-303 always builds SGD")
        for k in ["drop", "attn_drop_rate", "drop_path"] {
            r[k] = R.noEffect("the backbone runs in eval mode during task adapting (task_adapting/adapter.py:35), so dropout / stochastic depth are off")
        }
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r.merge(R.all(["gpu_ids", "num_workers", "pin_memory"], R.noEffect("device / data-loading processes"))) { $1 }
        r["num_gpus"] = R.only(.int(1), "one process"); r["distributed"] = R.only(.bool(false), "one process")
        r["dataset_perc"] = R.only(.double(1.0), "the whole training split")
        r["crop_size"] = R.only(.int(224), "224-pixel inputs (data_utils/transforms.py)")
        r["prompt_method"] = R.only(.string("padding"), "padding prompters (models/prompters.py)")
        r["eval_only"] = R.only(.bool(false), "training")
        return OfficialMapping(method: "dam-vp", rules: r, codeValues: [
            R.code("optimizer.kind", .string("sgd"), "task_adapting/adapter.py:287-303"),
            R.code("optimizer.momentum", .double(0), "'momemtum' typo (adapter.py:290, 298, 301) ⇒ SGD default 0"),
            R.code("schedule.kind", .string("step-warmup-cosine"), "utils/train_utils.py:41-60 cosine_lr, warmup len(loader)·epochs//5 (adapter.py:304-309)"),
            R.code("official_selection", .string("last-epoch-test"), "best-val prompters + last head, last test accuracy (adapter.py:366-373)"),
            R.code("clean_selection", .string("test-at-best-val-epoch"), "bench's number chosen without test labels (not an official setting)"),
            R.code("pipeline", .string("damvp-hta"), "data_utils/transforms.py:7-55"),
        ])
    }

    // MARK: SA2VP (vit_train_sa2vp.py, BEiT's fine-tuning parser; Train_*.sh or the README commands)

    static var sa2vp: OfficialMapping {
        var r: [String: KeyRule] = [:]
        let notRead = "not read by the SA2VP code (no args.<key> use in the repository)"
        for k in ["model", "rel_pos_bias", "abs_pos_emb", "layer_scale_init_value", "second_input_size", "drop", "attn_drop_rate",
                  "drop_path", "finetune", "model_key", "model_prefix", "init_scale", "use_mean_pooling",
                  "disable_weight_decay_on_rel_pos_bias", "layer_decay", "warmup_lr"] { r[k] = R.noEffect(notRead) }
        // datasets.py:1157 uses build_transform_vtab (FGVC: build_transform_fgvc by editing :1158); BEiT's build_transform
        // (datasets.py:1363-1417, the only reader of these) is not called.
        for k in ["color_jitter", "aa", "train_interpolation", "second_interpolation", "crop_pct", "reprob", "remode", "recount", "resplit"] {
            r[k] = R.noEffect("read only by datasets.py:1363-1417 build_transform, which build_dataset does not call (datasets.py:1157-1158)")
        }
        r["batch_size"] = .map { v, _ in
            guard case .int(let b)? = v else { throw MappingError("needs an int") }
            return [("batch_size", .int(b)), ("eval_batch_size", .int(4 * b))]   // vit_train_sa2vp.py:326 / vit_train_swin.py:324 int(4*args.batch_size)
        }
        r["epochs"] = R.to("epochs")
        r["update_freq"] = R.only(.int(1), "no gradient accumulation")
        r["save_ckpt_freq"] = R.noEffect("output, logging or checkpoint location")
        r["input_size"] = R.only(.int(224), "224-pixel inputs")
        r["disable_eval_during_finetuning"] = R.only(.bool(false), "evaluates every epoch")
        r["model_ema"] = R.only(.bool(false), "no EMA of the weights")
        r["model_ema_decay"] = R.noEffect("read only with --model_ema"); r["model_ema_force_cpu"] = R.noEffect("read only with --model_ema")
        r["opt"] = .map { v, _ in
            guard case .string("adamw")? = v else { throw MappingError("only adamw (optim_factory.py:99-133) is implemented") }
            return [("optimizer.kind", .string("adamw"))]
        }
        r["opt_eps"] = R.double("optimizer.eps")
        r["opt_betas"] = .map { v, _ in
            guard case .list(let b)? = v else { return [("optimizer.betas", .list([.double(0.9), .double(0.999)]))] }   // None → torch defaults
            return [("optimizer.betas", .list(b))]
        }
        r["clip_grad"] = R.only(nil, "no gradient clipping")
        r["momentum"] = R.noEffect("read only by SGD-type optimizers; --opt is adamw")
        r["weight_decay"] = R.double("weight_decay")
        r["weight_decay_end"] = R.only(nil, "constant weight decay (None → weight_decay, vit_train_sa2vp.py:415-416)")
        r["lr"] = R.double("lr")
        r["min_lr"] = R.double("schedule.minLR")
        r["warmup_epochs"] = .map { v, _ in [("schedule.warmupEpochs", v ?? .int(0)), ("schedule.kind", .string("linspace-warmup-cosine"))] }
        r["warmup_steps"] = R.only(.int(-1), "warmup in epochs")
        r["smoothing"] = .map { v, _ in [("label_smoothing", .double(v?.number ?? 0))] }   // vit_train_sa2vp.py:421-427
        r["mixup"] = R.double("mixup"); r["cutmix"] = R.double("cutmix")
        r["mixup_prob"] = R.double("mix_prob"); r["mixup_switch_prob"] = R.double("switch_prob")
        r["cutmix_minmax"] = R.only(nil, "cutmix boxes from alpha"); r["mixup_mode"] = R.only(.string("batch"), "timm Mixup mode batch")
        r["data_path"] = R.noEffect("dataset location (the cell names the dataset)")
        r["eval_data_path"] = R.noEffect("dataset location (the cell names the dataset)")
        r["nb_classes"] = R.noEffect("overwritten by build_dataset (vit_train_sa2vp.py:279)")
        r["data_set"] = .map { v, _ in
            guard case .string(let d)? = v else { return [] }
            // VTAB runs keep datasets.py:1157's build_transform_vtab; FGVC and the _DAM (HTA) sets use build_transform_fgvc (:1158, by editing).
            let vtab = ["CIFAR", "CAL101", "DTD", "FLOWER_S", "PET", "SVHN_S", "SUN", "PATCH_CAMELYON", "EUROSAT", "Resisc45", "Retinopathy",
                        "CLEVR_COUNT", "CLEVR_DISTANCE", "DMLAB", "KITTI_DISTANCE", "DS_LOC", "DS_ORI", "SN_AZI", "SN_ELE"].contains(d)
            // Selection: VTAB reports the last epoch (README "Test Script": --eval of checkpoint-99); FGVC the best-val checkpoint
            // (README.md:126 --resume checkpoint-best); the *_DAM sets evaluate on val every epoch and print the max
            // (datasets.py:1337-1342). The clean number is bench's (no test labels).
            let dam = d.hasSuffix("_DAM")
            return [("pipeline", .string(vtab ? "sa2vp-vtab" : "sa2vp-fgvc")),
                    ("official_selection", .string(vtab ? "last-epoch-test" : dam ? "best-test-over-epochs" : "test-at-best-val-epoch")),
                    ("clean_selection", .string(vtab || dam ? "last-epoch-test" : "test-at-best-val-epoch"))]
        }
        r["my_mode"] = .only([.string("testall"), .string("train_val")], "VTAB: train800val200 → test (testall); FGVC: train → val, test (train_val)")
        r["imagenet_default_mean_and_std"] = R.only(.bool(false), "mean = std = 0.5")
        r.merge(R.all(["output_dir", "log_dir", "save_ckpt", "auto_resume"], R.noEffect("output, logging or checkpoint location"))) { $1 }
        r.merge(R.all(["device", "num_workers", "pin_mem", "local_rank", "dist_url", "dist_eval"], R.noEffect("device / data-loading / distributed setup"))) { $1 }
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["resume"] = R.only(.string(""), "training from the pre-trained backbone"); r["start_epoch"] = R.only(.int(0), "from epoch 0")
        r["eval"] = R.only(.bool(false), "training"); r["world_size"] = R.only(.int(1), "one process")
        r["dist_on_itp"] = R.only(.bool(false), "one process"); r["enable_deepspeed"] = R.only(.bool(false), "no DeepSpeed")
        return OfficialMapping(method: "sa2vp", rules: r, codeValues: [
            R.code("drop_last", .bool(true), "vit_train_sa2vp.py:320 drop_last=True"),
        ])
    }

    // MARK: DA-VPT (params.py defaults ← command line ← configs/*.yaml `key: value`)

    static var davpt: OfficialMapping {
        let p = ArgParser.davpt
        let options = ["num_prompts", "proxy_prompt_len", "proxy_prompt_start_idx", "proxy_prompt_end_idx", "prompt_drop_rate", "proxy_vpt",
                       "criterion", "loss_oproxy_pos_alpha", "loss_oproxy_neg_alpha", "loss_oproxy_pos_delta", "loss_oproxy_neg_delta",
                       "initial_mapping", "init_sample_per_class", "kmeans_norm", "vpt_norm", "init_divide_by8", "vpt_loss_weight",
                       "cls_loss_weight", "loss_vpt_scale_ratio", "dynamic_kmeans", "patch_type", "cls_type", "vpt_type_for_cls_ml",
                       "vpt_type_for_patch_ml", "mask", "drop_path", "wd_head", "learn_bias", "train_cls", "bias_fc1", "bias_fc2",
                       "bias_proj", "bias_norm1", "bias_norm2", "bias_norm", "norm_norm1", "norm_norm2", "norm_norm", "bias_q", "bias_k", "bias_v"]
        var r: [String: KeyRule] = [:]
        for k in options { r[k] = R.to("options." + k) }
        let unimplemented = "the params.py default; other values select code paths not implemented here"
        r.merge(R.defaultsOnly(["head_pooling", "local_layer_gradient", "select_type", "pooling_type", "vpt_head_init", "vpt_init",
                                "init_pooling_type", "init_select_topk", "noise_ratio", "vpt_cls_loss_weight", "vpt_cls_loss", "connection_type",
                                "fixed_gate_ratio", "connect_last_layer", "attention_scaling_topk", "nesterov",
                                "test_vpt_loss_off", "test_cls_loss_off", "data_cropsize", "load_model", "load_config"], of: p, unimplemented)) { $1 }
        let out = "output, logging or checkpoint location"
        r.merge(R.all(["save_checkpoint", "save_dir", "task_name", "quiet_mode", "config"], R.noEffect(out))) { $1 }
        r.merge(R.all(["gpu", "device", "workers"], R.noEffect("device / data-loading processes"))) { $1 }
        r["data_dir"] = R.noEffect("dataset folder (the cell names the dataset)")
        r["local_model_path"] = R.noEffect("weights file for backbones timm lacks (MoCo v3); the table names the backbone")
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["fp16"] = R.noEffect("CUDA mixed precision (torch.cuda.amp); computed here in float32 — rounding only, same training")
        r["open_bias_decay"] = R.noEffect("no effect on this method's training in the official code (create_optimizer, utils/utils.py:125-165)")
        r["open_weight_decay"] = R.noEffect("no effect on this method's training in the official code (create_optimizer, utils/utils.py:125-165)")
        // model_creator.py:54-125 + Dataset/names.py:13-19: vit-B = timm AugReg IN-21k; mae-B = timm's MAE ViT-B with the
        // global-pool readout (global_pool = model_name starts with "mae"); moco-B = the MoCo v3 ViT-B (CLS readout).
        // The MAE / MoCo v3 configs (configs/*/mae_*, moco_*) thus name the recipe's backbone, and the option selects the
        // readout (DAVPT also infers it from the cell's backbone; the option carries it into `bench probe`).
        r["model_name"] = .map { v, _ in
            switch v {
            case .string("vit-B")?, nil: return []
            case .string("mae-B")?: return [("backbone", .string("vit-b16-mae")), ("options.model_name", .string("mae-B"))]
            case .string("moco-B")?: return [("backbone", .string("vit-b16-mocov3")), ("options.model_name", .string("moco-B"))]
            default: throw MappingError("vit-B, mae-B or moco-B (the ViT-B backbones of Table 1; Dataset/names.py:13-19)")
            }
        }
        r["mae_pooling"] = .map { v, _ in
            guard case .string(let m)? = v, ["img", "all"].contains(m) else { throw MappingError("img or all (params.py:87)") }
            return [("options.mae_pooling", .string(m))]
        }
        r["tuning_type"] = R.only(.string("prompt"), "prompt tuning")
        r["dataset"] = .map { v, _ in
            guard case .string(let d)? = v else { return [] }
            let fgvc = ["cub", "nabirds", "cars", "dogs", "flowers"].contains(d)
            return [("pipeline", .string(fgvc ? "davpt-fgvc" : "davpt-vtab"))]   // Dataset/transforms.py: FGVC crops, VTAB resizes
        }
        r["class_sampler"] = R.to("class_balanced")
        r["samples_per_class"] = .map { v, s in
            guard case .bool(true)? = s["class_sampler"]?.value else { return [] }  // read only by the class sampler
            guard let v else { throw MappingError("needs an int") }
            return [("samples_per_class", v)]
        }
        r["epochs"] = R.to("epochs"); r["batch_size"] = R.to("batch_size")
        r["weight_decay"] = R.double("weight_decay"); r["lr"] = R.double("lr")
        r["min_lr"] = R.double("schedule.minLR"); r["warmup_lr"] = R.double("schedule.warmupLRInit")
        r["warmup_epochs"] = R.to("schedule.warmupEpochs"); r["eval_after"] = R.to("eval_after")
        r["sched"] = R.only(.string("cosine"), "timm cosine")
        r["sched_on_updates"] = .map { v, _ in
            guard case .bool(true)? = v else { throw MappingError("only the per-update timm cosine (sched_on_updates true) is implemented") }
            return [("schedule.kind", .string("timm-cosine"))]
        }
        r["optimizer"] = .map { v, _ in
            guard case .string(let o)? = v, OptimizerKind(rawValue: o) != nil else { throw MappingError("adam, adamw or sgd") }
            return [("optimizer.kind", .string(o))]
        }
        r["momentum"] = .map { v, s in
            guard case .string("sgd")? = s["optimizer"]?.value else { return [] }   // read only by SGD
            return [("optimizer.momentum", v ?? .double(0))]
        }
        // Test-accuracy / loss early stops change when the official run ends; they are recipe values the trainer
        // rejects (Recipe.load), so a recipe must declare the difference.
        r["early_stop_thr"] = .map { v, _ in (v?.number ?? -1) > 0 ? [("early_stop_thr", v!)] : [] }
        r["vpt_loss_stop_thr"] = .map { v, _ in (v?.number ?? -1) > 0 ? [("vpt_loss_stop_thr", v!)] : [] }
        return OfficialMapping(method: "da-vpt", rules: r, codeValues: [
            R.code("optimizer.betas", .list([.double(0.9), .double(0.999)]), "torch.optim.AdamW defaults (train.py create_optimizer passes only lr)"),
            R.code("optimizer.eps", .double(1e-8), "torch.optim.AdamW default"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
            R.code("grad_clip_value", .int(10), "train.py:165 clip_grad_value_(model.parameters(), clip_value=10.0)"),
            R.code("official_selection", .string("best-test-over-epochs"), "train.py:388-405 (val_loader = test set, train.py:46-48)"),
        ])
    }

    // MARK: InsVP (utils/args.py defaults ← main.py command line, e.g. sh/<dataset>.sh)

    static var insvp: OfficialMapping {
        let p = ArgParser.insvp
        var r: [String: KeyRule] = [:]
        for k in ["deep_layer", "prompt_dropout", "prompt_patch", "hid_dim", "prompt_patch_2", "prompt_patch_22", "hid_dim_2",
                  "prompts_2_weight", "TP_kernel_1", "TP_kernel_2", "TP_kernel_3", "p_len"] { r[k] = R.to("options." + k) }
        r["prompts_2_weight"] = .map { v, _ in
            guard let d = v?.number else { throw MappingError("needs a number") }
            return [("options.prompts_2_weight", d == d.rounded() ? .int(Int(d)) : .double(d))]
        }
        r["p_len_vpt"] = .map { v, s in
            // models/InstanceVPD.py:35,110: deep prompts have p_len_vpt tokens and the TokenPrompt's p_len tokens are added to them.
            guard let v, let l = s["p_len"]?.value, OptionValue.same(v, l) else {
                throw MappingError("must equal --p_len (InstanceVPD.py:35,110 adds p_len TokenPrompt tokens to p_len_vpt prompts)")
            }
            return []
        }
        r["simam"] = .map { v, _ in   // InstanceVPD.py:31 `args.simam == "True"` (a bool: our option's own spelling)
            if case .bool(let b)? = v { return [("options.simam", .bool(b))] }
            return [("options.simam", .bool(v == .string("True")))]
        }
        r["n_epochs"] = R.to("epochs"); r["batch_size"] = R.to("batch_size")
        r["lr"] = R.double("lr"); r["weight_decay"] = R.double("weight_decay")
        r["optimizer"] = .map { v, _ in
            guard case .string("AdamW")? = v else { throw MappingError("only AdamW (train/trainer.py:46-48) is implemented") }
            return [("optimizer.kind", .string("adamw"))]
        }
        r["scheduler"] = .map { v, _ in
            guard case .string("cosine")? = v else { throw MappingError("only cosine (train/trainer.py:60-64) is implemented") }
            return [("schedule.kind", .string("step-warmup-cosine"))]
        }
        r["mixup"] = .map { v, _ in
            switch v {
            case .string("mixup")?:   // train/trainer.py:66-75
                return [("mixup", .double(0.8)), ("mix_prob", .double(0.5)), ("switch_prob", .double(0.5)), ("label_smoothing", .double(0.1))]
            case .string("none")?: return []
            default: throw MappingError("mixup or none")
            }
        }
        r["cutmix_alpha"] = .map { v, s in
            guard case .string("mixup")? = s["mixup"]?.value else { return [] }   // read only by Mixup
            return [("cutmix", .double(v?.number ?? 0))]
        }
        let notRead = "not read by the official code (no use outside utils/args.py)"
        r.merge(R.all(["lr_c", "weight_decay_c", "nheads", "token_prompt_eta", "instance_prompt", "meta_bn", "global_prompts_weight",
                       "prompts_3_weight", "prompt_patch_12", "prompt_patch_3", "warm_prompt", "meta_net", "debug"], R.noEffect(notRead))) { $1 }
        r.merge(R.all(["momentum", "bias_multiplier"], R.noEffect("read only by the SGD optimizer (src/solver/optimizer.py); optimizer is AdamW"))) { $1 }
        r["warmup_epochs"] = R.noEffect("read only by --scheduler cosine-2; cosine warms up over n_epochs//5 of the steps (train/trainer.py:60-64)")
        r["model_load_path"] = R.noEffect("read only in eval mode")
        r.merge(R.all(["info", "output_path"], R.noEffect("output, logging or checkpoint location"))) { $1 }
        r.merge(R.all(["base_dir", "data_dir", "dataset"], R.noEffect("dataset location / name (the cell names the dataset)"))) { $1 }
        r.merge(R.all(["num_workers", "pin_memory"], R.noEffect("data-loading processes / memory"))) { $1 }
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["mode"] = R.only(.string("train"), "training")
        r["arch"] = R.only(.string("ViT/B-16"), "ViT-B/16")
        r["pretrained"] = R.only(.string("imagenet22k"), "the IN-21k ViT-B/16 (models/utils.py:83-93)")
        r["pretrained_model"] = R.only(.string("vit-b-22k"), "ImageNet mean/std of the IN-21k ViT (data_utils/transforms.py)")
        r["transform"] = R.only(.string("default"), "train/utils.py:51")
        r["trainer"] = R.only(.string("ours"), "main.py:44")
        r["resize_dim"] = R.only(.int(256), "Resize(256) → crop 224 (data_utils/transforms.py:28)")
        r["crop_size"] = R.only(.int(224), "224-pixel inputs (data_utils/transforms.py)")
        r["loader"] = R.only(.string("DAM-VP"), "data_utils/loader.py (train/trainer.py:27)")
        r["dataset_perc"] = R.only(.double(1.0), "the whole training split")
        r["distributed"] = R.only(.bool(false), "one process")
        r["num_gpus"] = R.only(.int(1), "one process"); r["NUM_GPUS"] = R.only(.int(1), "one process")
        r["deep_prompt_type"] = R.only(.string("ours9"), "models/InstanceVPD.py:163-167")
        r["token_prompt_type"] = R.only(.string("add"), "models/tokenPrompt.py:15")
        r["cls"] = R.only(.string("default"), "models/utils.py:101")
        r["model"] = R.only(.string("InstanceVPD"), "InsVP")
        _ = p
        return OfficialMapping(method: "insvp", rules: r, codeValues: [
            R.code("options.FIXED_TOKENPROMPT", .bool(false), "official behaviour: TokenPrompt never optimised (models/InstanceVPD.py:163-167)"),
            R.code("optimizer.betas", .list([.double(0.9), .double(0.999)]), "torch.optim.AdamW defaults (train/trainer.py:46-48)"),
            R.code("optimizer.eps", .double(1e-8), "torch.optim.AdamW default"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
            R.code("drop_last", .bool(false), "data_utils/loader.py:157"),
            R.code("official_selection", .string("best-test-over-epochs"), "train/trainer.py:133-146 (max test accuracy over epochs)"),
            R.code("pipeline", .string("vpt-fgvc"), "data_utils/transforms.py:7-69 Resize(256)→RandomCrop(224)→HFlip / Resize(256)→CenterCrop(224)"),
        ])
    }
}

extension OfficialMapping {
    // MARK: V-PETL Bench (train/train_model_{adapter,lora,bitfit}.py argparse ← scripts/run_vit_*.sh; configs/model_lora/<task>/<dataset>.yaml)

    static func vpetl(_ method: String) -> OfficialMapping {
        let py = OfficialImporter.vpetlScripts[method]!
        /// Lines of each script: scheduler.step, the test condition, best_acc, exp_base_path, create_model, reset_classifier, AdamW, CosineLRScheduler.
        let L: [String: (step: Int, test: Int, best: String, exp: Int, create: Int, reset: Int, adamw: Int, cosine: String)] = [
            "adaptformer": (52, 58, "61-62", 120, 154, 156, 172, "180-181"), "lora": (54, 60, "63-64", 121, 155, 157, 172, "180-181"),
            "bias": (53, 59, "62-63", 121, 155, 157, 173, "181-182"),
        ]
        let l = L[method]!
        let mode = ["adaptformer": "adaptformer", "lora": "lora", "bias": "bitfit"][method]!
        var r: [String: KeyRule] = [:]
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["lr"] = R.double("lr"); r["wd"] = R.double("weight_decay")
        r["eval"] = R.only(.string("True"), "VTAB: train800val200 → test (dataloader/vtab.py get_data evaluate=True); FGVC does not read it")
        // BitFit's model takes no drop_path option here (the suite's `bias`); the value is still a recipe value, so a
        // recipe that cannot apply it must declare the difference.
        r["dpr"] = R.double("options.drop_path")
        let rank: String? = ["adaptformer": "options.ffn_num", "lora": "options.LORA_DIM"][method]
        r["topN"] = .map { v, _ in
            guard let v else { return [] }   // None: config['topN'] (train_model_*.py:115-119)
            guard let rank else { return [] }
            return [(rank, v)]
        }
        r["config['topN']"] = .map { v, s in
            guard s["topN"]?.value == nil, let rank, let v else { return [] }   // read only when --topN is not given
            return [(rank, v)]
        }
        if method == "bias" {
            r["topN"] = R.noEffect("not passed to the BitFit model (train_model_bitfit.py:155 create_model without topN); names the output folder only")
            r["config['topN']"] = R.noEffect("not passed to the BitFit model (train_model_bitfit.py:155); names the output folder only")
        }
        r["model"] = R.only(.string("vit_base_patch16_224_in21k_\(mode)"), "the \(mode) ViT-B/16 of models/vision_transformer_\(mode).py")
        r["model_checkpoint"] = R.noEffect("the backbone weights file (released_models/ViT-B_16.npz, the tables' ViT-B/16 IN-21k)")
        r["model_type"] = R.noEffect("names the output folder only (\(py):\(l.exp))")
        r["tuning_mode"] = R.only(.string(mode), "the \(mode) blocks of models/vision_transformer_\(mode).py")
        r["dataset"] = R.noEffect("dataset name (the cell names the dataset); picks configs/model_lora/<task>/<dataset>.yaml")
        r["task"] = .map { v, _ in
            switch v {
            case .string("vtab")?: return [("pipeline", .string("vpetl-vtab"))]   // dataloader/vtab.py:71-74 Resize((224, 224)), ImageNet mean/std
            case .string("fgvc")?: return [("pipeline", .string("vpt-fgvc"))]    // dataloader/transforms.py (VPT's): Resize256→RandomCrop224→HFlip
            default: throw MappingError("vtab or fgvc")
            }
        }
        r["config['name']"] = R.noEffect("names the output folder only (\(py):\(l.exp))")
        r["config['class_num']"] = R.noEffect("head size (reset_classifier); the cell's dataset gives it")
        r["config['train_aug']"] = .map { v, _ in
            // dataloader/vtab.py:54-65 RandAugment + flip: a recipe value the trainer rejects as not implemented (declare it)
            guard case .bool(let b)? = v else { throw MappingError("True or False") }
            return b ? [("train_aug", .bool(true))] : []
        }
        r["config['labelsmoothing']"] = R.double("label_smoothing")
        r["config['batch_size']"] = R.to("batch_size"); r["config['epochs']"] = R.to("epochs")
        r["config['warmup_epochs']"] = R.to("schedule.warmupEpochs")
        r["config['cycle_decay']"] = R.noEffect("one cosine cycle (t_initial = epochs): the decay between cycles never applies")
        var code: [ImportedValue] = [
            R.code("optimizer.kind", .string("adamw"), "\(py):\(l.adamw) AdamW(trainable, lr, weight_decay): one group, decay on every trainable tensor"),
            R.code("optimizer.betas", .list([.double(0.9), .double(0.999)]), "torch AdamW defaults"),
            R.code("optimizer.eps", .double(1e-8), "torch AdamW default"),
            R.code("schedule.kind", .string("timm-cosine-epoch"), "\(py):\(l.cosine) CosineLRScheduler(t_initial=epochs), stepped per epoch"),
            R.code("schedule.warmupLRInit", .double(1e-6), "\(py):\(l.cosine) warmup_lr_init"),
            R.code("schedule.minLR", .double(1e-5), "\(py):\(l.cosine) lr_min"),
            R.code("schedule.epochLag", .int(1), "\(py):\(l.step) scheduler.step(ep) after epoch ep: epoch e trains at the lr of e − 1"),
            R.code("eval_every", .int(10), "\(py):\(l.test) test only when ep % 10 == 9"),
            R.code("drop_last", .bool(false), "dataloader/vtab.py:86-87 (evaluate=True), dataloader/loader.py:53 drop_last=False"),
            R.code("official_selection", .string("best-test-over-epochs"), "\(py):\(l.best) best_acc over its test evaluations"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
        ]
        if method != "lora" {
            code.append(R.code("eval_after", .int(81), "\(py):\(l.test) `ep % 10 == 9 and ep > 80`: tests after epochs 89 and 99 only"))
        }
        switch method {
        case "adaptformer":
            let m = "models/vision_transformer_adaptformer.py"
            code += [R.code("options.ffn_adapter_scalar", .string("1.0"), "\(m):202 default (Block passes none)"),
                     R.code("options.ffn_adapter_layernorm_option", .string("in"), "\(m):203 default"),
                     R.code("options.ffn_adapter_init_option", .string("lora"), "\(m):201 default"),
                     R.code("options.ffn_option", .string("parallel"), "\(m):283-288 adapter beside the MLP"),
                     R.code("options.adapter_dropout", .double(0.1), "\(m):200 default"),
                     R.code("options.head", .string("linear"), "\(py):\(l.reset) reset_classifier → nn.Linear")]
        case "lora":
            code.append(R.code("options.VARIANT", .string("v-petl"), "models/vision_transformer_lora.py:83-136 (q and v only)"))
        default: break
        }
        return OfficialMapping(method: method, rules: r, codeValues: code)
    }
}

extension OfficialMapping {
    // MARK: SSF (dongzelian/SSF train.py = timm 0.6.5's train.py + --tuning-mode ssf, --simple-aug, --direct-resize)

    static var ssf: OfficialMapping {
        var r: [String: KeyRule] = [:]
        let out = "output, logging or checkpoint location"
        let device = "device / data-loading / distributed setup"
        r.merge(R.all(["output", "experiment", "log-interval", "recovery-interval", "checkpoint-hist", "save-images", "log-wandb",
                       "master_port", "master_addr"], R.noEffect(out))) { $1 }
        r.merge(R.all(["workers", "pin-mem", "no-prefetcher", "channels-last", "use-multi-epochs-loader", "local_rank", "no-ddp-bb",
                       "dist-bn", "fuser", "torchscript", "grad-checkpointing", "worker-seeding", "validation-batch-size"], R.noEffect(device))) { $1 }
        r["amp"] = R.noEffect("CUDA mixed precision (train.py:308, torch.cuda.amp); computed here in float32 — rounding only, same training")
        r["apex-amp"] = R.only(.bool(false), "no NVIDIA apex"); r["native-amp"] = R.noEffect("CUDA mixed precision (--amp's native path)")
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["data_dir"] = R.noEffect("dataset folder (the cell names the dataset)")
        r["dataset"] = R.noEffect("dataset name (the cell names the dataset)")
        r["num-classes"] = R.noEffect("head size; the cell's dataset gives it")
        r["val-split"] = R.noEffect("the split SSF's dataset classes evaluate: the test set (data/vtab.py:13; fgvc: test / ImageFolder val)")
        r["train-split"] = R.only(.string("train"), "the training split")
        r["dataset-download"] = R.noEffect("downloads torchvision datasets only"); r["class-map"] = R.only(.string(""), "the dataset's own labels")
        r["config"] = R.only(.string(""), "no YAML defaults file (train.py:336-341 would change the parser's defaults)")
        r["model"] = R.only(.string("vit_base_patch16_224_in21k"), "timm 0.6.5's ViT-B/16 IN-21k (models/vision_transformer.py:121-123)")
        r["pretrained"] = R.only(.bool(true), "from the pre-trained backbone")
        r["tuning-mode"] = R.only(.string("ssf"), "SSF's scale and shift factors (models/vision_transformer.py)")
        r["initial-checkpoint"] = R.only(.string(""), "from the pre-trained backbone"); r["resume"] = R.only(.string(""), "from the pre-trained backbone")
        r["no-resume-opt"] = R.noEffect("read only with --resume"); r["start-epoch"] = R.only(nil, "from epoch 0")
        r["evaluate"] = R.only(.bool(false), "training")
        r["gp"] = R.only(nil, "the model's own pooling ([CLS])"); r["input-size"] = R.only(nil, "224-pixel inputs (--img-size)")
        r["img-size"] = .only([.int(224), nil], "224-pixel inputs")
        r["crop-pct"] = R.only(nil, "the model's crop_pct 0.9 (eval Resize 248 → CenterCrop 224 without --direct-resize)")
        r["mean"] = R.only(nil, "the model's mean 0.5"); r["std"] = R.only(nil, "the model's std 0.5")
        r["interpolation"] = R.only(.string(""), "the model's bicubic")
        r["batch-size"] = .map { v, s in
            guard case .int(let b)? = v, case .int(let n)? = s["nproc_per_node"]?.value else { throw MappingError("needs an int") }
            return [("batch_size", .int(b * n))]   // per process; DDP averages the gradients of nproc_per_node processes
        }
        r["nproc_per_node"] = .map { _, _ in [] }   // read by batch-size
        r["opt"] = .map { v, _ in
            guard case .string("adamw")? = v else { throw MappingError("only adamw (optim_factory.py:372-373) is implemented") }
            return [("optimizer.kind", .string("adamw"))]
        }
        r["opt-eps"] = .map { v, _ in [("optimizer.eps", .double(v?.number ?? 1e-8))] }   // None → torch default
        r["opt-betas"] = .map { v, _ in
            guard case .list(let b)? = v else { return [("optimizer.betas", .list([.double(0.9), .double(0.999)]))] }   // None → torch defaults
            return [("optimizer.betas", .list(b))]
        }
        r["momentum"] = R.noEffect("read only by SGD-type optimizers; --opt is adamw")
        r["weight-decay"] = R.double("weight_decay")
        r["clip-grad"] = R.only(nil, "no gradient clipping"); r["clip-mode"] = R.noEffect("read only with --clip-grad")
        r["layer-decay"] = R.only(nil, "one lr for every layer")
        r["sched"] = .map { v, _ in
            guard case .string("cosine")? = v else { throw MappingError("only cosine (timm CosineLRScheduler) is implemented") }
            return [("schedule.kind", .string("timm-cosine-epoch"))]
        }
        r["lr"] = R.double("lr"); r["min-lr"] = R.double("schedule.minLR"); r["warmup-lr"] = R.double("schedule.warmupLRInit")
        r["warmup-epochs"] = R.to("schedule.warmupEpochs")
        r["epochs"] = .map { v, s in
            // timm create_scheduler returns epochs + cooldown-epochs for cosine (train.py:522): the run trains them all.
            guard case .int(let e)? = v, case .int(let c)? = s["cooldown-epochs"]?.value else { throw MappingError("needs an int") }
            return [("epochs", .int(e + c))]
        }
        r["cooldown-epochs"] = R.to("schedule.cooldownEpochs")
        r["lr-noise"] = R.only(nil, "no lr noise")
        r.merge(R.all(["lr-noise-pct", "lr-noise-std"], R.noEffect("read only with --lr-noise"))) { $1 }
        r["lr-cycle-mul"] = R.only(.double(1.0), "one cosine cycle"); r["lr-cycle-limit"] = R.only(.int(1), "one cosine cycle")
        r["lr-cycle-decay"] = R.noEffect("one cosine cycle: the decay between cycles never applies")
        r["lr-k-decay"] = R.only(.double(1.0), "plain cosine")
        r["epoch-repeats"] = R.only(.double(0.0), "one pass over the data per epoch")
        r.merge(R.all(["decay-milestones", "decay-epochs", "decay-rate", "patience-epochs"], R.noEffect("read only by the step / multistep / plateau schedulers; --sched is cosine"))) { $1 }
        r["drop-path"] = .map { v, _ in v.map { [("options.drop_path", .double($0.number ?? 0))] } ?? [] }
        r["drop"] = R.only(.double(0.0), "no dropout"); r["drop-connect"] = R.only(nil, "no drop-connect"); r["drop-block"] = R.only(nil, "no drop-block")
        r.merge(R.all(["bn-momentum", "bn-eps", "sync-bn", "split-bn"], R.noEffect("the ViT has no BatchNorm"))) { $1 }
        r["model-ema"] = .map { v, s in
            guard case .bool(true)? = v else { return [] }
            return [("model_ema_decay", s["model-ema-decay"]?.value ?? .double(0.9998))]   // the EMA's accuracy is reported (train.py:670-675)
        }
        r["model-ema-decay"] = .map { _, _ in [] }   // read by model-ema
        r["model-ema-force-cpu"] = R.noEffect("where the EMA lives")
        // Augmentation: --no-aug --direct-resize (VTAB) or --simple-aug (FGVC); timm's full ImageNet augmentation is not implemented.
        r["no-aug"] = .map { v, s in
            let noAug = v == .bool(true), simple = s["simple-aug"]?.value == .bool(true), direct = s["direct-resize"]?.value == .bool(true)
            if noAug && direct { return [("pipeline", .string("ssf-vtab"))] }   // data/transforms_factory.py:17-41 Resize((224, 224)) bicubic
            if simple && !noAug && !direct { return [("pipeline", .string("ssf-fgvc"))] }  // :43-69 RandomResizedCrop + HFlip; eval Resize 248 → CenterCrop
            throw MappingError("only --no-aug --direct-resize (VTAB) or --simple-aug (FGVC) are implemented, not timm's ImageNet augmentation")
        }
        r["simple-aug"] = .map { _, _ in [] }; r["direct-resize"] = .map { _, _ in [] }   // read by no-aug
        let simpleOnly = "read only by --simple-aug's RandomResizedCrop + flip"
        r["scale"] = .map { v, s in
            guard s["simple-aug"]?.value == .bool(true), s["no-aug"]?.value != .bool(true) else { return [] }
            guard let v, OptionValue.same(v, .list([.double(0.08), .double(1.0)])) else { throw MappingError("only 0.08 1.0 (ssf-fgvc)") }
            return []
        }
        r["ratio"] = .only([.list([.double(0.75), .double(4.0 / 3.0)])], "\(simpleOnly): 3/4 to 4/3")
        r["hflip"] = .only([.double(0.5)], "\(simpleOnly): p 0.5")
        r["train-interpolation"] = .map { v, s in
            // train.py:568-570: with --no-aug the model's bicubic; otherwise this value ('random': bilinear or bicubic per crop).
            guard s["no-aug"]?.value != .bool(true), let v, v != .string(""), v != .string("bicubic") else { return [] }
            return [("train_interpolation", v)]
        }
        r["reprob"] = .map { v, s in
            // data/loader.py:267 the prefetcher erases with re_prob when training without --no-aug (and with the prefetcher on).
            guard s["no-aug"]?.value != .bool(true), s["no-prefetcher"]?.value != .bool(true), let p = v?.number, p > 0 else { return [] }
            return [("random_erasing", .double(p))]
        }
        r.merge(R.all(["remode", "recount", "resplit"], R.noEffect("random-erasing details, read only with --reprob (see random_erasing)"))) { $1 }
        r.merge(R.all(["vflip", "color-jitter", "aa"], R.noEffect("read only by timm's ImageNet augmentation (transforms_imagenet_train); --no-aug / --simple-aug do not"))) { $1 }
        r["aug-repeats"] = R.only(.double(0), "no repeated augmentation"); r["aug-splits"] = R.only(.int(0), "no AugMix splits")
        r["jsd-loss"] = R.only(.bool(false), "cross-entropy"); r["bce-loss"] = R.only(.bool(false), "cross-entropy")
        r["bce-target-thresh"] = R.noEffect("read only with --bce-loss")
        let mixing: @Sendable (OfficialSettings) -> Bool = { s in (s["mixup"]?.value?.number ?? 0) > 0 || (s["cutmix"]?.value?.number ?? 0) > 0 }
        r["mixup"] = .map { v, s in mixing(s) ? [("mixup", .double(v?.number ?? 0))] : [] }
        r["cutmix"] = .map { v, s in mixing(s) ? [("cutmix", .double(v?.number ?? 0))] : [] }
        r["mixup-prob"] = .map { v, s in mixing(s) ? [("mix_prob", .double(v?.number ?? 1))] : [] }
        r["mixup-switch-prob"] = .map { v, s in mixing(s) ? [("switch_prob", .double(v?.number ?? 0.5))] : [] }
        r["cutmix-minmax"] = R.only(nil, "cutmix boxes from alpha"); r["mixup-mode"] = R.only(.string("batch"), "timm Mixup mode batch")
        r["mixup-off-epoch"] = R.only(.int(0), "mixing in every epoch")
        r["smoothing"] = R.double("label_smoothing")   // Mixup's soft targets, or LabelSmoothingCrossEntropy (train.py:623-633)
        r["eval-metric"] = R.only(.string("top1"), "top-1 accuracy"); r["tta"] = R.only(.int(0), "no test-time augmentation")
        return OfficialMapping(method: "ssf", rules: r, codeValues: [
            R.code("drop_last", .bool(true), "data/loader.py:257 drop_last=is_training"),
            R.code("official_selection", .string("best-test-over-epochs"), "the eval split is the test set, evaluated every epoch; CheckpointSaver keeps the best top-1 (train.py:718-719)"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
        ])
    }
}

extension OfficialMapping {
    // MARK: argparse entry point + per-task yaml (FacT, RepAdapter, Hydra: NOAH-style VTAB scripts)

    /// The VTAB-1k loop these scripts share (NOAH's): ViT-B/16 IN-21k with drop_path 0.1, AdamW, timm cosine stepped per
    /// epoch, 100 epochs, test every 10th epoch, best test accuracy reported. `f` is the entry point, `l` its lines.
    static func noahLoop(_ f: String, data: String, create: Int, adamw: Int, cosine: String, cosineText: String, step: Int, train: Int,
                         test: Int, best: Int, bs: String, dropLast: String, resize: String) -> [ImportedValue] {
        [
            R.code("options.drop_path", .double(0.1), "\(f):\(create) create_model(..., drop_path_rate=0.1)"),
            R.code("optimizer.kind", .string("adamw"), "\(f):\(adamw) AdamW(trainable, lr, weight_decay): one group, decay on every trainable tensor"),
            R.code("optimizer.betas", .list([.double(0.9), .double(0.999)]), "torch AdamW defaults"),
            R.code("optimizer.eps", .double(1e-8), "torch AdamW default"),
            R.code("schedule.kind", .string("timm-cosine-epoch"), "\(f):\(cosine) \(cosineText)"),
            R.code("schedule.warmupEpochs", .int(10), "\(f):\(cosine) warmup_t=10"),
            R.code("schedule.warmupLRInit", .double(1e-6), "\(f):\(cosine) warmup_lr_init=1e-6"),
            R.code("schedule.minLR", .double(1e-5), "\(f):\(cosine) lr_min=1e-5"),
            R.code("schedule.epochLag", .int(1), "\(f):\(step) scheduler.step(ep) after epoch ep: epoch e trains at the lr of e − 1"),
            R.code("epochs", .int(100), "\(f):\(train) train(..., epoch=100)"),
            R.code("batch_size", .int(64), "\(data):\(bs) get_data(batch_size=64)"),
            R.code("drop_last", .bool(true), "\(data):\(dropLast) shuffle=True, drop_last=True"),
            R.code("eval_every", .int(10), "\(f):\(test) test only when ep % 10 == 9"),
            R.code("official_selection", .string("best-test-over-epochs"), "\(f):\(best) best_acc over its test evaluations"),
            R.code("clean_selection", .string("last-epoch-test"), "bench's number chosen without test labels (not an official setting)"),
            R.code("pipeline", .string("noah-vtab"), "\(data):\(resize) Resize((224, 224), bicubic) + ImageNet mean/std, train and test; train800val200 → test"),
        ]
    }

    /// JieShibo/PETL-ViT @ 026e4f1 FacT/fact_tk.py (FacT-TK) + FacT/configs/tk/<dataset>.yaml.
    static var fact: OfficialMapping {
        let f = "FacT/fact_tk.py"
        var r: [String: KeyRule] = [:]
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["lr"] = R.double("lr"); r["wd"] = R.double("weight_decay")
        r["model"] = R.only(.string("vit_base_patch16_224_in21k"), "the tables' ViT-B/16 IN-21k (\(f):183 create_model(args.model, checkpoint_path='./ViT-B_16.npz'))")
        r["dataset"] = R.noEffect("dataset name (the cell names the dataset); picks configs/tk/<dataset>.yaml (\(f):185)")
        // fact_tk.py:186-189: --dim 0 / --scale 0 take the config's rank / scale; any other value wins over it.
        r["dim"] = .map { v, _ in
            guard case .int(let d)? = v else { throw MappingError("an int") }
            return d == 0 ? [] : [("options.dim", .int(d))]
        }
        r["scale"] = .map { v, _ in
            guard let d = v?.number else { throw MappingError("a number") }
            return d == 0 ? [] : [("options.scale", .double(d))]
        }
        r["config['rank']"] = .map { v, s in
            guard case .int(0)? = s["dim"]?.value else { return [] }   // --dim given: the config's rank is not read
            guard case .int(let d)? = v else { throw MappingError("an int rank") }
            return [("options.dim", .int(d))]
        }
        r["config['scale']"] = .map { v, s in
            guard s["scale"]?.value?.number == 0 else { return [] }
            guard let d = v?.number else { throw MappingError("a number") }
            return [("options.scale", .double(d))]
        }
        r["config['class_num']"] = R.noEffect("not read by fact_tk.py (the head size comes from get_classes_num(name), \(f):193); the cell's dataset gives it")
        r["config['name']"] = R.noEffect("not read by fact_tk.py (it uses --dataset)")
        var code = noahLoop(f, data: "FacT/vtab.py", create: 183, adamw: 203, cosine: "204-205",
                            cosineText: "CosineLRScheduler(t_initial=100, warmup_t=10, lr_min=1e-5, warmup_lr_init=1e-6, decay_rate=0.1): one cycle, so decay_rate never applies",
                            step: 33, train: 206, test: 34, best: 36, bs: "76", dropLast: "86", resize: "79-81")
        code.insert(R.code("options.dropout", .double(0.1), "\(f):120 nn.Dropout(0.1) on the factorised path"), at: 0)
        return OfficialMapping(method: "fact", rules: r, codeValues: code)
    }
}

extension OfficialMapping {
    /// luogen1996/RepAdapter @ 360992f train.py + configs/<method>/<dataset>.yaml (scripts/exp.sh's command).
    static var repadapter: OfficialMapping {
        let f = "train.py"
        var r: [String: KeyRule] = [:]
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["lr"] = R.double("lr"); r["wd"] = R.double("weight_decay")
        r["model"] = R.only(.string("vit_base_patch16_224_in21k"), "the tables' ViT-B/16 IN-21k (train.py:94-95); Swin and ConvNeXt are not implemented")
        r["dataset"] = R.noEffect("dataset name (the cell names the dataset); picks configs/<method>/<dataset>.yaml (train.py:85)")
        r["method"] = .map { v, _ in
            guard case .string(let m)? = v, ["repblock", "repattn"].contains(m) else { throw MappingError("repblock or repattn (argparse choices, train.py:77)") }
            return [("options.method", .string(m))]
        }
        r["dim"] = R.to("options.dim")
        // train.py:107 s=config['scale'] if args.scale==0 else args.scale.
        r["scale"] = .map { v, _ in
            guard let d = v?.number else { throw MappingError("a number") }
            return d == 0 ? [] : [("options.scale", .double(d))]
        }
        r["config['scale']"] = .map { v, s in
            guard s["scale"]?.value?.number == 0 else { return [] }
            guard let d = v?.number else { throw MappingError("a number") }
            return [("options.scale", .double(d))]
        }
        r["few-shot"] = R.only(.bool(false), "the VTAB-1k runs: no few-shot data, mixup/cutmix or soft-target loss (train.py:136-144)")
        r["shots"] = R.noEffect("never passed on: train.py:105 calls get_data without shot=, so the few-shot lists always use shot=1")
        r["config['class_num']"] = R.noEffect("head size (train.py:121 reset_classifier); the cell's dataset gives it")
        r["config['name']"] = R.noEffect("names the saved model file only (train.py:51 save(..., config['name'], ...))")
        var code = noahLoop(f, data: "dataset.py", create: 95, adamw: 133, cosine: "134-135",
                            cosineText: "CosineLRScheduler(t_initial=100, warmup_t=10, lr_min=1e-5, warmup_lr_init=1e-6, cycle_decay=0.1): one cycle, so cycle_decay never applies",
                            step: 46, train: 145, test: 47, best: 49, bs: "64", dropLast: "102", resize: "91")
        code.insert(contentsOf: [R.code("options.groups", .int(2), "repadapter.py:154 RepAdapter(groups=2) default; set_RepAdapter passes none"),
                                 R.code("options.dropout", .double(0.1), "repadapter.py:160 nn.Dropout(0.1) between conv_A and conv_B")], at: 0)
        return OfficialMapping(method: "repadapter", rules: r, codeValues: code)
    }
}

extension OfficialMapping {
    /// extremebird/Hydra @ 4138457 vtab1k/train.py + vtab1k/configs/<method>/<dataset>.yaml. utils.py:64-75
    /// set_hyperparameter: a flag replaces the config's value only when `given` holds (lr > 0, wd ≥ 0, dropout ≥ 0,
    /// bsize > 0, scale ≠ 0); scripts/exp.sh passes -1 / 0, so the config decides.
    static var hydra: OfficialMapping {
        let f = "vtab1k/train.py"
        var r: [String: KeyRule] = [:]
        func pair(_ flag: String, _ key: String, _ recipe: String, int: Bool = false, given: @escaping @Sendable (Double) -> Bool) {
            let read: @Sendable (OptionValue?) throws -> OptionValue = { v in
                guard let d = v?.number else { throw MappingError("a number") }
                return int ? .int(Int(d)) : .double(d)
            }
            r[flag] = .map { v, _ in
                guard let d = v?.number else { throw MappingError("a number") }
                return given(d) ? [(recipe, try read(v))] : []
            }
            r["config['\(key)']"] = .map { v, s in
                guard let d = s[flag]?.value?.number, !given(d) else { return [] }   // the flag replaced it
                return [(recipe, try read(v))]
            }
        }
        pair("lr", "lr", "lr") { $0 > 0 }
        pair("wd", "wd", "weight_decay") { $0 >= 0 }
        pair("dropout", "dropout", "options.dropout") { $0 >= 0 }
        pair("bsize", "batchsize", "batch_size", int: true) { $0 > 0 }
        pair("scale", "scale", "options.scale") { $0 != 0 }
        r["seed"] = R.noEffect("the run's seed is the cell's seed (bench --seeds)")
        r["dataset"] = R.noEffect("dataset name (the cell names the dataset); picks configs/<method>/<dataset>.yaml (vtab1k/train.py:67)")
        r["method"] = R.only(.string("hydra_both"), "Hydra's parallel and sequential adapters in attention and MLP (argparse choices, vtab1k/train.py:59)")
        r["dim"] = R.to("options.dim")
        r["config['class_num']"] = R.noEffect("head size (vtab1k/train.py:97 reset_classifier); the cell's dataset gives it")
        r["config['name']"] = R.noEffect("names the saved model file only (vtab1k/train.py:34 save(..., config['name'], ...))")
        var code = noahLoop(f, data: "vtab1k/dataset.py", create: 76, adamw: 112, cosine: "113-114",
                            cosineText: "CosineLRScheduler(t_initial=500, warmup_t=10, lr_min=1e-5, warmup_lr_init=1e-6, cycle_decay=0.1) over 100 epochs: one cycle",
                            step: 29, train: 116, test: 30, best: 32, bs: "80", dropLast: "70", resize: "59")
        code.removeAll { $0.key == "batch_size" }   // config['batchsize'] (vtab1k/train.py:80), above
        code.append(R.code("schedule.cycleEpochs", .int(500), "\(f):113 CosineLRScheduler(t_initial=500): the lr only falls to ≈ 0.9 × lr by epoch 100"))
        return OfficialMapping(method: "hydra", rules: r, codeValues: code)
    }
}
