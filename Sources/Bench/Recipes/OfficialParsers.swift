// Official argparse parsers as data (flag, default, kind, line of its `add_argument`), and the two ways the official
// code reads a run's settings: argparse over a command line (InsVP, SA2VP, DAM-VP, ILM-VP — `sh/*.sh` scripts or a
// command a user holds), and DA-VPT's `key: value` file (`update_args_from_file_colon`, params.py:195-213, applied
// after argparse, so the file wins over the command line).
import Foundation
import Methods
import Yams

/// One argparse flag: `store_true` or a typed value (`int`, `float`, `str`, `bool` — Python's `bool(str)`, true for
/// any non-empty string).
public struct ArgSpec: Sendable {
    /// `flag`: store_true; `flagFalse`: store_false (into `dest`); `typed`: one value; `list`: nargs='+' values.
    public enum Kind: Sendable, Equatable { case flag, flagFalse, typed(String), list(String) }
    public var name: String
    public var defaultValue: OptionValue?
    public var kind: Kind
    public var line: Int
    /// The file defining it when not the parser's (InsVP's `--model` is added in main.py).
    public var file: String?
    /// argparse `dest` when it is not the flag's name (`--no_pin_mem` → `pin_mem`); such a flag has no default of its own.
    public var dest: String?
    /// Other spellings of the flag (`-b` for `--batch-size`), without the leading dashes.
    public var aliases: [String] = []
    public init(_ name: String, _ d: OptionValue?, _ kind: Kind, _ line: Int, file: String? = nil, dest: String? = nil, aliases: [String] = []) {
        self.name = name; defaultValue = d; self.kind = kind; self.line = line; self.file = file; self.dest = dest; self.aliases = aliases
    }
}

/// An official parser: its file and flags.
public struct ArgParser: Sendable {
    public var file: String
    public var specs: [ArgSpec]
    /// Positional arguments (name, line), filled in order by words that are not flags (timm's `data_dir`).
    public var positionals: [(name: String, line: Int)] = []

    public init(file: String, _ entries: [(String, OptionValue?, ArgSpec.Kind, Int)]) {
        self.file = file; specs = entries.map { ArgSpec($0.0, $0.1, $0.2, $0.3) }
    }

    /// Defaults, then `args` as argparse reads them (`--k v`, `--k=v`, store_true flags; a later flag wins).
    /// Unknown flags and values that do not convert are errors, as argparse's are.
    public func parse(_ args: [String], source: String) throws -> OfficialSettings {
        var s = OfficialSettings()
        for a in specs where a.dest == nil { s.set(a.name, a.defaultValue, source: "\(a.file ?? file):\(a.line) (default)") }
        var problems: [String] = []
        var i = 0, nextPositional = 0
        while i < args.count {
            let a = args[i]; i += 1
            let short = !a.hasPrefix("--") && a.hasPrefix("-") && a.count > 1 && !a.dropFirst().first!.isNumber
            guard a.hasPrefix("--") || short else {
                if nextPositional < positionals.count {
                    let p = positionals[nextPositional]; nextPositional += 1
                    s.set(p.name, .string(a), source: "\(source) `\(a)`"); continue
                }
                problems.append("'\(a)': not a --flag (argparse: unrecognized arguments)"); continue
            }
            var name = String(a.dropFirst(short ? 1 : 2)), value: String?
            if let eq = name.firstIndex(of: "=") { value = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
            if let spec = specs.first(where: { $0.aliases.contains(name) }) { name = spec.name }
            guard let spec = specs.first(where: { $0.name == name }) else {
                problems.append("'--\(name)': not an option of the official parser \(file) (argparse: unrecognized arguments)")
                if value == nil, i < args.count, !args[i].hasPrefix("--") { i += 1 }
                continue
            }
            switch spec.kind {
            case .flag, .flagFalse:
                if value != nil { problems.append("'--\(name)' takes no value (\(spec.kind == .flag ? "store_true" : "store_false"))"); continue }
                s.set(spec.dest ?? name, .bool(spec.kind == .flag), source: "\(source) `--\(name)`")
            case .list(let t):
                var items: [String] = value.map { [$0] } ?? []
                while value == nil, i < args.count, !args[i].hasPrefix("--") { items.append(args[i]); i += 1 }
                let vs = items.compactMap { Self.convert($0, type: t) }
                guard !items.isEmpty, vs.count == items.count else { problems.append("'--\(name)' needs one or more \(t) values"); continue }
                s.set(spec.dest ?? name, .list(vs), source: "\(source) `--\(name) \(items.joined(separator: " "))`")
            case .typed(let t):
                if value == nil {
                    guard i < args.count else { problems.append("'--\(name)' needs a value"); continue }
                    value = args[i]; i += 1
                }
                guard let v = Self.convert(value!, type: t) else { problems.append("'--\(name)' = '\(value!)': not a valid \(t) (argparse error)"); continue }
                s.set(name, v, source: "\(source) `--\(name)=\(value!)`")
            }
        }
        for p in positionals.dropFirst(nextPositional) { problems.append("the positional argument \(p.name) (\(file):\(p.line)) is missing (argparse: required)") }
        if !problems.isEmpty { throw ImportError(file: source, problems: problems) }
        return s
    }

    /// argparse `type=`: int() (decimal only), float(), str, bool(str) (non-empty = True).
    static func convert(_ v: String, type: String) -> OptionValue? {
        let t = v.trimmingCharacters(in: .whitespaces)
        switch type {
        case "int": return Int(t.replacingOccurrences(of: "_", with: "")).map { .int($0) }
        case "float":
            switch t.lowercased() { case "inf", "+inf", "infinity": return .double(.infinity); case "-inf": return .double(-.infinity); default: break }
            return Double(t).map { .double($0) }
        case "bool": return .bool(!v.isEmpty)
        default: return .string(v)
        }
    }
}

/// DA-VPT's `key: value` config file (params.py `update_args_from_file_colon`, `_coerce` at params.py:152-192).
public enum ColonConfig {
    /// Applies `file` to `settings` the official way: blank, `#` and colon-less lines skipped; key = text before the
    /// first ':' (stripped, leading '-' removed, '-' → '_'); a key the parser lacks is skipped (reported here as
    /// no effect); the value (quotes stripped) is cast to the current value's type — bool from 1/true/t/yes/y/on or
    /// 0/false/f/no/n/off, int by Python `int(v, 0)`, float by `float(v)` — and a failed cast keeps the current value.
    public static func apply(file: URL, displayPath: String, to s: inout OfficialSettings) throws -> [NoEffectKey] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw ImportError(file: displayPath, problems: ["file missing or unreadable (\(file.path))"])
        }
        var notes: [NoEffectKey] = []
        for (n, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines), at = "\(displayPath):\(n + 1)"
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                notes.append(NoEffectKey(key: line, value: "", reason: "no ':' — the official reader skips the line (params.py:202-203)", source: at)); continue
            }
            var key = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            while key.hasPrefix("-") { key.removeFirst() }
            key = key.replacingOccurrences(of: "-", with: "_")
            let val = String(line[line.index(after: colon)...])
            guard let cur = s[key] else {
                notes.append(NoEffectKey(key: key, value: val.trimmingCharacters(in: .whitespaces),
                                         reason: "not an argument of params.py — the official reader skips it (params.py:206-207)", source: at)); continue
            }
            if let v = coerce(val, current: cur.value) { s.set(key, v, source: at) } else {
                notes.append(NoEffectKey(key: key, value: val.trimmingCharacters(in: .whitespaces),
                                         reason: "does not cast to the default's type — the official reader keeps \(cur.value?.description ?? "None") (params.py:155-171)", source: at))
            }
        }
        return notes
    }

    /// `_coerce`; nil when the official code keeps the current value (failed cast).
    static func coerce(_ value: String, current: OptionValue?) -> OptionValue?? {
        var v = value.trimmingCharacters(in: .whitespacesAndNewlines)
        v = v.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        v = v.trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        switch current {
        case .bool?:
            let l = v.lowercased()
            if ["1", "true", "t", "yes", "y", "on"].contains(l) { return .bool(true) }
            if ["0", "false", "f", "no", "n", "off"].contains(l) { return .bool(false) }
            return nil
        case .int?: return pythonIntBase0(v).map { .int($0) }
        case .double?: return ArgParser.convert(v, type: "float").map { Optional($0) }
        case .list?: return .some(.list(v.isEmpty ? [] : v.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }))
        case .string?, nil: return .some(.string(v))
        }
    }

    /// Python `int(v, 0)`: optional sign, decimal without leading zeros (except "0"), or 0x/0o/0b prefixes; '_' between digits.
    static func pythonIntBase0(_ s: String) -> Int? {
        var t = s.trimmingCharacters(in: .whitespaces), sign = 1
        if t.hasPrefix("-") { sign = -1; t.removeFirst() } else if t.hasPrefix("+") { t.removeFirst() }
        let l = t.lowercased()
        for (p, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where l.hasPrefix(p) {
            return Int(l.dropFirst(2).replacingOccurrences(of: "_", with: ""), radix: r).map { $0 * sign }
        }
        guard t.range(of: #"^(0(_?0)*|[1-9](_?[0-9])*)$"#, options: .regularExpression) != nil else { return nil }
        return Int(t.replacingOccurrences(of: "_", with: "")).map { $0 * sign }
    }
}

extension ArgParser {
    /// Noahsark/DA-VPT @ 1a5ac60 params.py (`parse_args` adds `--config` at line 223).
    public static let davpt = ArgParser(file: "params.py", [
        ("model_name", .string("vit-B"), .typed("str"), 5),
        ("drop_path", .double(0.0), .typed("float"), 7),
        ("fp16", .bool(false), .flag, 8),
        ("local_model_path", .string("./save/linear-vit-b-300ep.pth.tar"), .typed("str"), 9),
        ("num_prompts", .int(20), .typed("int"), 16),
        ("proxy_prompt_len", .int(10), .typed("int"), 18),
        ("proxy_prompt_start_idx", .int(11), .typed("int"), 21),
        ("proxy_vpt", .bool(false), .flag, 29),
        ("criterion", .string("proxyanchor"), .typed("str"), 30),
        ("loss_oproxy_pos_alpha", .double(32.0), .typed("float"), 31),
        ("loss_oproxy_neg_alpha", .double(32.0), .typed("float"), 32),
        ("loss_oproxy_pos_delta", .double(0.1), .typed("float"), 33),
        ("loss_oproxy_neg_delta", .double(-0.1), .typed("float"), 34),
        ("head_pooling", .string("max"), .typed("str"), 36),
        ("local_layer_gradient", .bool(false), .flag, 37),
        ("initial_mapping", .string("kmeans"), .typed("str"), 40),
        ("init_sample_per_class", .int(10), .typed("int"), 43),
        ("select_type", .string("cls_attn"), .typed("str"), 44),
        ("pooling_type", .string("mean"), .typed("str"), 46),
        ("kmeans_norm", .string("layer"), .typed("str"), 48),
        ("vpt_norm", .string("none"), .typed("str"), 49),
        ("init_divide_by8", .bool(false), .flag, 50),
        ("vpt_loss_weight", .double(0.0), .typed("float"), 52),
        ("cls_loss_weight", .double(0.0), .typed("float"), 53),
        ("learn_bias", .bool(false), .flag, 56),
        ("train_cls", .bool(false), .flag, 57),
        ("bias_fc1", .bool(false), .flag, 58),
        ("bias_fc2", .bool(false), .flag, 59),
        ("bias_proj", .bool(false), .flag, 60),
        ("bias_norm1", .bool(false), .flag, 61),
        ("bias_norm2", .bool(false), .flag, 62),
        ("bias_norm", .bool(false), .flag, 63),
        ("norm_norm1", .bool(false), .flag, 64),
        ("norm_norm2", .bool(false), .flag, 65),
        ("norm_norm", .bool(false), .flag, 66),
        ("bias_q", .bool(false), .flag, 67),
        ("bias_k", .bool(false), .flag, 68),
        ("bias_v", .bool(false), .flag, 69),
        ("vpt_head_init", .bool(false), .flag, 71),
        ("vpt_init", .bool(false), .flag, 72),
        ("init_pooling_type", .string("mean"), .typed("str"), 73),
        ("init_select_topk", .int(5), .typed("int"), 74),
        ("noise_ratio", .double(0.2), .typed("float"), 75),
        ("dynamic_kmeans", .int(0), .typed("int"), 76),
        ("vpt_cls_loss_weight", .double(0.1), .typed("float"), 78),
        ("vpt_cls_loss", .bool(false), .flag, 79),
        ("connection_type", .string("none"), .typed("str"), 80),
        ("fixed_gate_ratio", .double(0.2), .typed("float"), 82),
        ("connect_last_layer", .bool(false), .flag, 83),
        ("attention_scaling_topk", .bool(false), .flag, 84),
        ("loss_vpt_scale_ratio", .double(1.0), .typed("float"), 85),
        ("mae_pooling", .string("all"), .typed("str"), 87),
        ("patch_type", .string("output"), .typed("str"), 88),
        ("vpt_type_for_cls_ml", .string("vpt"), .typed("str"), 89),
        ("vpt_type_for_patch_ml", .string("vpt"), .typed("str"), 90),
        ("cls_type", .string("query"), .typed("str"), 91),
        ("mask", .bool(false), .flag, 92),
        ("dataset", .string("cub"), .typed("str"), 98),
        ("data_dir", .string("./vpt_data"), .typed("str"), 99),
        ("class_sampler", .bool(false), .flag, 100),
        ("samples_per_class", .int(2), .typed("int"), 101),
        ("data_cropsize", .int(224), .typed("int"), 102),
        ("epochs", .int(2), .typed("int"), 103),
        ("batch_size", .int(32), .typed("int"), 104),
        ("workers", .int(8), .typed("int"), 105),
        ("weight_decay", .double(0.01), .typed("float"), 109),
        ("wd_head", .double(3.0), .typed("float"), 110),
        ("lr", .double(0.001), .typed("float"), 111),
        ("min_lr", .double(1e-08), .typed("float"), 112),
        ("warmup_epochs", .int(10), .typed("int"), 114),
        ("device", .string("cuda"), .typed("str"), 115),
        ("eval_after", .int(60), .typed("int"), 116),
        ("warmup_lr", .double(1e-07), .typed("float"), 117),
        ("sched", .string("cosine"), .typed("str"), 119),
        ("sched_on_updates", .bool(false), .flag, 121),
        ("early_stop_thr", .double(-1.0), .typed("float"), 123),
        ("vpt_loss_stop_thr", .double(-1.0), .typed("float"), 124),
        ("open_bias_decay", .bool(false), .flag, 125),
        ("open_weight_decay", .bool(false), .flag, 126),
        ("optimizer", .string("adamw"), .typed("str"), 127),
        ("momentum", .double(0.9), .typed("float"), 129),
        ("nesterov", .bool(false), .flag, 130),
        ("save_checkpoint", .bool(false), .flag, 131),
        ("save_dir", .string("../save/checkpoint"), .typed("str"), 132),
        ("task_name", .string("test"), .typed("str"), 133),
        ("load_model", nil, .typed("str"), 134),
        ("load_config", .string(""), .typed("str"), 135),
        ("test_vpt_loss_off", .bool(false), .flag, 136),
        ("test_cls_loss_off", .bool(false), .flag, 137),
        ("gpu", .int(0), .typed("int"), 143),
        ("seed", .int(0), .typed("int"), 144),
        ("tuning_type", .string("prompt"), .typed("str"), 145),
        ("quiet_mode", .bool(false), .flag, 146),
        ("config", .string("configs/fgvc/vitb_cub200.yaml"), .typed("str"), 223),
        ("config", .string("configs/fgvc/vitb_cub200.yaml"), .typed("str"), 223),
    ])

    /// zhoujiahuan1991/MM2024-InsVP @ 9a89ad5 utils/args.py.
    /// main.py:21-24 adds `--model` before them.
    public static let insvp: ArgParser = {
        var p = ArgParser(file: "utils/args.py", [
        ("mode", .string("train"), .typed("str"), 14),
        ("debug", .bool(false), .flag, 17),
        ("dataset", .string("cifar100"), .typed("str"), 21),
        ("arch", .string("ViT/B-16"), .typed("str"), 28),
        ("pretrained", .string("imagenet1k"), .typed("str"), 31),
        ("n_epochs", .int(30), .typed("int"), 34),
        ("optimizer", .string("AdamW"), .typed("str"), 37),
        ("lr", .double(3e-05), .typed("float"), 40),
        ("lr_c", .double(0.1), .typed("float"), 43),
        ("batch_size", .int(64), .typed("int"), 46),
        ("scheduler", .string("none"), .typed("str"), 49),
        ("weight_decay", .double(0.0001), .typed("float"), 52),
        ("weight_decay_c", .double(0.0), .typed("float"), 55),
        ("transform", .string("default"), .typed("str"), 58),
        ("momentum", .double(0.9), .typed("float"), 62),
        ("bias_multiplier", .int(1), .typed("int"), 63),
        ("warmup_epochs", .int(10), .typed("int"), 64),
        ("trainer", .string("ours"), .typed("str"), 65),
        ("resize_dim", .int(256), .typed("int"), 66),
        ("model_load_path", .string(""), .typed("str"), 69),
        ("mixup", .string("none"), .typed("str"), 73),
        ("cutmix_alpha", .double(0.0), .typed("float"), 75),
        ("meta_net", .int(0), .typed("int"), 84),
        ("prompt_patch", .int(16), .typed("int"), 87),
        ("prompt_patch_12", .int(31), .typed("int"), 90),
        ("prompt_patch_2", .int(21), .typed("int"), 93),
        ("prompt_patch_22", .int(31), .typed("int"), 96),
        ("prompt_patch_3", .int(64), .typed("int"), 99),
        ("hid_dim", .int(64), .typed("int"), 102),
        ("hid_dim_2", .int(6), .typed("int"), 105),
        ("global_prompts_weight", .double(1.0), .typed("float"), 108),
        ("prompts_2_weight", .double(1.0), .typed("float"), 111),
        ("prompts_3_weight", .double(1.0), .typed("float"), 114),
        ("nheads", .int(1), .typed("int"), 117),
        ("deep_layer", .int(12), .typed("int"), 120),
        ("p_len_vpt", .int(10), .typed("int"), 123),
        ("p_len", .int(10), .typed("int"), 126),
        ("deep_prompt_type", .string("vpt"), .typed("str"), 128),
        ("instance_prompt", .string("instance_prompt"), .typed("str"), 130),
        ("prompt_dropout", .double(0.1), .typed("float"), 132),
        ("meta_bn", .string("none"), .typed("str"), 134),
        ("TP_kernel_1", .int(3), .typed("int"), 135),
        ("TP_kernel_2", .int(3), .typed("int"), 136),
        ("TP_kernel_3", .int(3), .typed("int"), 137),
        ("token_prompt_eta", .double(0.5), .typed("float"), 138),
        ("token_prompt_type", .string("add"), .typed("str"), 139),
        ("cls", .string("default"), .typed("str"), 140),
        ("simam", .string("False"), .typed("str"), 141),
        ("info", .string("Debug"), .typed("str"), 145),
        ("seed", .int(3407), .typed("int"), 148),
        ("output_path", .string("./Output/Debug"), .typed("str"), 151),
        ("loader", .string("DAM-VP"), .typed("str"), 154),
        ("warm_prompt", .bool(false), .typed("bool"), 156),
        ("base_dir", .string(""), .typed("str"), 160),
        ("dataset_perc", .double(1.0), .typed("float"), 161),
        ("crop_size", .int(224), .typed("int"), 162),
        ("pretrained_model", .string("vit-b-22k"), .typed("str"), 163),
        ("distributed", .bool(false), .flag, 164),
        ("num_workers", .int(4), .typed("int"), 165),
        ("pin_memory", .bool(false), .flag, 166),
        ("num_gpus", .int(1), .typed("int"), 167),
        ("NUM_GPUS", .int(1), .typed("int"), 169),
        ("data_dir", .string(""), .typed("str"), 170),
    ])
        p.specs.insert(ArgSpec("model", .string("perturbation"), .typed("str"), 21, file: "main.py"), at: 0)
        return p
    }()
}

extension ArgParser {
    /// OPTML-Group/ILM-VP @ 84ca042 experiments/cnn/ilm_vp.py:27-33 (`--network` and `--dataset` are required).
    public static let ilmvp = ArgParser(file: "experiments/cnn/ilm_vp.py", [
        ("network", nil, .typed("str"), 27), ("seed", .int(7), .typed("int"), 28), ("dataset", nil, .typed("str"), 29),
        ("mapping-interval", .int(1), .typed("int"), 30), ("epoch", .int(200), .typed("int"), 31), ("lr", .double(0.01), .typed("float"), 32),
    ])

    /// experiments/cnn/linear_probing.py:20-24 and full_finetune.py:20-24 (ILM-VP's CNN baselines): the same flags,
    /// --lr default 0.1 and 0.0001.
    public static let ilmLinearProbing = ilmBaseline("experiments/cnn/linear_probing.py", lr: 0.1)
    public static let ilmFullFinetune = ilmBaseline("experiments/cnn/full_finetune.py", lr: 0.0001)
    static func ilmBaseline(_ file: String, lr: Double) -> ArgParser {
        ArgParser(file: file, [("network", nil, .typed("str"), 20), ("seed", .int(7), .typed("int"), 21), ("dataset", nil, .typed("str"), 22),
                               ("epoch", .int(200), .typed("int"), 23), ("lr", .double(lr), .typed("float"), 24)])
    }

    /// experiments/cnn/flm_vp.py:27-31 and rlm_vp.py:27-31: ilm_vp.py's flags without --mapping-interval.
    public static let flmvp = ilmFamily("experiments/cnn/flm_vp.py")
    public static let rlmvp = ilmFamily("experiments/cnn/rlm_vp.py")
    static func ilmFamily(_ file: String) -> ArgParser {
        ArgParser(file: file, [("network", nil, .typed("str"), 27), ("seed", .int(7), .typed("int"), 28), ("dataset", nil, .typed("str"), 29),
                               ("epoch", .int(200), .typed("int"), 30), ("lr", .double(0.01), .typed("float"), 31)])
    }

    /// shikiw/DAM-VP @ dec5821 arguments.py, `Arguments(stage='task_adapting')`: add_common_args (119-146, with
    /// `set_defaults(pin_memory=True)`) + add_task_adapt_args (170-179). `--diversities`' default is a dict
    /// (DATASET_DIVERSITIES, arguments.py:62-103), shown here by name.
    public static let damvp = ArgParser(file: "arguments.py", [
        ("output_dir", .string(""), .typed("str"), 119), ("batch_size", .int(128), .typed("int"), 122),
        ("base_dir", .string("/data-x/g12/huangqidong/"), .typed("str"), 123), ("dataset_perc", .double(1.0), .typed("float"), 124),
        ("crop_size", .int(224), .typed("int"), 125), ("diversities", .string("DATASET_DIVERSITIES"), .typed("str"), 126),
        ("pretrained_model", .string("vit-b-1k"), .typed("str"), 129), ("prompt_method", .string("padding"), .typed("str"), 130),
        ("prompt_size", .int(30), .typed("int"), 131), ("wo_da", .bool(false), .flag, 132),
        ("drop", .double(0.0), .typed("float"), 135), ("attn_drop_rate", .double(0.0), .typed("float"), 136),
        ("drop_path", .double(0.1), .typed("float"), 137), ("seed", .int(2023), .typed("int"), 140), ("gpu_ids", .int(0), .typed("int"), 141),
        ("num_gpus", .int(1), .typed("int"), 142), ("num_workers", .int(4), .typed("int"), 143), ("pin_memory", .bool(true), .flag, 144),
        ("distributed", .bool(false), .flag, 146),
        ("test_dataset", .string("oxford-flowers"), .typed("str"), 170), ("adapt_method", .string("prompt_wo_head"), .typed("str"), 171),
        ("checkpoint_dir", .string(""), .typed("str"), 172), ("epochs", .int(50), .typed("int"), 175),
        ("optimizer", .string("Adam"), .typed("str"), 176), ("lr", .double(1e4), .typed("float"), 177),
        ("weight_decay", .double(0), .typed("float"), 178), ("eval_only", .bool(false), .flag, 179),
    ])
}

extension ArgParser {
    public init(file: String, specs: [ArgSpec]) { self.file = file; self.specs = specs }

    /// tommy-xq/SA2VP @ 35674e7 vit_train_sa2vp.py `get_args` (BEiT's fine-tuning parser); store_false flags write
    /// into their `dest`, whose default comes from `set_defaults` (rel_pos_bias 89, abs_pos_emb 91, use_mean_pooling 190,
    /// auto_resume 218, save_ckpt 222, pin_mem 234).
    public static let sa2vp = ArgParser(file: "vit_train_sa2vp.py", specs: [
        ArgSpec("batch_size", .int(64), .typed("int"), 79),
        ArgSpec("epochs", .int(30), .typed("int"), 80),
        ArgSpec("update_freq", .int(1), .typed("int"), 81),
        ArgSpec("save_ckpt_freq", .int(20), .typed("int"), 82),
        ArgSpec("model", .string("beit_base_patch16_224"), .typed("str"), 85),
        ArgSpec("rel_pos_bias", .bool(false), .flag, 87),
        ArgSpec("disable_rel_pos_bias", nil, .flagFalse, 88, dest: "rel_pos_bias"),
        ArgSpec("abs_pos_emb", .bool(true), .flag, 90),
        ArgSpec("layer_scale_init_value", .double(0.1), .typed("float"), 92),
        ArgSpec("input_size", .int(224), .typed("int"), 95),
        ArgSpec("second_input_size", .int(112), .typed("int"), 97),
        ArgSpec("drop", .double(0.0), .typed("float"), 100),
        ArgSpec("attn_drop_rate", .double(0.0), .typed("float"), 102),
        ArgSpec("drop_path", .double(0.1), .typed("float"), 104),
        ArgSpec("disable_eval_during_finetuning", .bool(false), .flag, 107),
        ArgSpec("model_ema", .bool(false), .flag, 109),
        ArgSpec("model_ema_decay", .double(0.9999), .typed("float"), 110),
        ArgSpec("model_ema_force_cpu", .bool(false), .flag, 111),
        ArgSpec("opt", .string("adamw"), .typed("str"), 114),
        ArgSpec("opt_eps", .double(1e-08), .typed("float"), 116),
        ArgSpec("opt_betas", nil, .list("float"), 118),
        ArgSpec("clip_grad", nil, .typed("float"), 120),
        ArgSpec("momentum", .double(0.9), .typed("float"), 122),
        ArgSpec("weight_decay", .double(0.05), .typed("float"), 124),
        ArgSpec("weight_decay_end", nil, .typed("float"), 126),
        ArgSpec("lr", .double(0.0005), .typed("float"), 130),
        ArgSpec("layer_decay", .double(0.9), .typed("float"), 132),
        ArgSpec("warmup_lr", .double(1e-06), .typed("float"), 134),
        ArgSpec("min_lr", .double(1e-06), .typed("float"), 136),
        ArgSpec("warmup_epochs", .int(5), .typed("int"), 139),
        ArgSpec("warmup_steps", .int(-1), .typed("int"), 141),
        ArgSpec("color_jitter", .double(0.4), .typed("float"), 145),
        ArgSpec("smoothing", .int(0), .typed("float"), 149),
        ArgSpec("train_interpolation", .string("bicubic"), .typed("str"), 151),
        ArgSpec("second_interpolation", .string("lanczos"), .typed("str"), 153),
        ArgSpec("crop_pct", nil, .typed("float"), 157),
        ArgSpec("reprob", .double(0.25), .typed("float"), 160),
        ArgSpec("remode", .string("pixel"), .typed("str"), 162),
        ArgSpec("recount", .int(1), .typed("int"), 164),
        ArgSpec("resplit", .bool(false), .flag, 166),
        ArgSpec("mixup", .int(0), .typed("float"), 170),
        ArgSpec("cutmix", .int(0), .typed("float"), 172),
        ArgSpec("cutmix_minmax", nil, .list("float"), 174),
        ArgSpec("mixup_prob", .double(1.0), .typed("float"), 176),
        ArgSpec("mixup_switch_prob", .double(0.5), .typed("float"), 178),
        ArgSpec("mixup_mode", .string("batch"), .typed("str"), 180),
        ArgSpec("finetune", .string(""), .typed("str"), 184),
        ArgSpec("model_key", .string("model|module"), .typed("str"), 186),
        ArgSpec("model_prefix", .string(""), .typed("str"), 187),
        ArgSpec("init_scale", .double(0.001), .typed("float"), 188),
        ArgSpec("use_mean_pooling", .bool(true), .flag, 189),
        ArgSpec("use_cls", nil, .flagFalse, 191, dest: "use_mean_pooling"),
        ArgSpec("disable_weight_decay_on_rel_pos_bias", .bool(false), .flag, 192),
        ArgSpec("data_path", .string("/datasets01/imagenet_full_size/061417/"), .typed("str"), 195),
        ArgSpec("my_mode", .string("train_val"), .typed("str"), 197),
        ArgSpec("eval_data_path", nil, .typed("str"), 199),
        ArgSpec("nb_classes", .int(0), .typed("int"), 201),
        ArgSpec("imagenet_default_mean_and_std", .bool(false), .flag, 203),
        ArgSpec("data_set", .string("CUB"), .typed("str"), 205),
        ArgSpec("output_dir", .string(""), .typed("str"), 207),
        ArgSpec("log_dir", nil, .typed("str"), 209),
        ArgSpec("device", .string("cuda"), .typed("str"), 211),
        ArgSpec("seed", .int(0), .typed("int"), 213),
        ArgSpec("resume", .string(""), .typed("str"), 214),
        ArgSpec("auto_resume", .bool(true), .flag, 216),
        ArgSpec("no_auto_resume", nil, .flagFalse, 217, dest: "auto_resume"),
        ArgSpec("save_ckpt", .bool(true), .flag, 220),
        ArgSpec("no_save_ckpt", nil, .flagFalse, 221, dest: "save_ckpt"),
        ArgSpec("start_epoch", .int(0), .typed("int"), 224),
        ArgSpec("eval", .bool(false), .flag, 226),
        ArgSpec("dist_eval", .bool(false), .flag, 228),
        ArgSpec("num_workers", .int(10), .typed("int"), 230),
        ArgSpec("pin_mem", .bool(true), .flag, 231),
        ArgSpec("no_pin_mem", nil, .flagFalse, 233, dest: "pin_mem"),
        ArgSpec("world_size", .int(1), .typed("int"), 237),
        ArgSpec("local_rank", .int(-1), .typed("int"), 239),
        ArgSpec("dist_on_itp", .bool(false), .flag, 240),
        ArgSpec("dist_url", .string("env://"), .typed("str"), 241),
        ArgSpec("enable_deepspeed", .bool(false), .flag, 244),
        ArgSpec("aa", .string("rand-m9-mstd0.5-inc1"), .typed("str"), 147),
    ])
}

extension ArgParser {
    /// tommy-xq/SA2VP @ 35674e7 vit_train_swin.py `get_args`: vit_train_sa2vp.py's parser plus the two discrete-VAE flags
    /// (set_defaults rel_pos_bias 87, abs_pos_emb 89, use_mean_pooling 188, auto_resume 216, save_ckpt 220, pin_mem 232).
    public static let sa2vpSwin = ArgParser(file: "vit_train_swin.py", specs: [
        ArgSpec("batch_size", .int(64), .typed("int"), 75),
        ArgSpec("epochs", .int(30), .typed("int"), 76),
        ArgSpec("update_freq", .int(1), .typed("int"), 77),
        ArgSpec("save_ckpt_freq", .int(50), .typed("int"), 78),
        ArgSpec("discrete_vae_weight_path", nil, .typed("str"), 79),
        ArgSpec("discrete_vae_type", .string("dall-e"), .typed("str"), 80),
        ArgSpec("model", .string("beit_base_patch16_224"), .typed("str"), 83),
        ArgSpec("rel_pos_bias", .bool(false), .flag, 85),
        ArgSpec("disable_rel_pos_bias", nil, .flagFalse, 86, dest: "rel_pos_bias"),
        ArgSpec("abs_pos_emb", .bool(true), .flag, 88),
        ArgSpec("layer_scale_init_value", .double(0.1), .typed("float"), 90),
        ArgSpec("input_size", .int(224), .typed("int"), 93),
        ArgSpec("second_input_size", .int(112), .typed("int"), 95),
        ArgSpec("drop", .double(0.0), .typed("float"), 98),
        ArgSpec("attn_drop_rate", .double(0.0), .typed("float"), 100),
        ArgSpec("drop_path", .double(0.1), .typed("float"), 102),
        ArgSpec("disable_eval_during_finetuning", .bool(false), .flag, 105),
        ArgSpec("model_ema", .bool(false), .flag, 107),
        ArgSpec("model_ema_decay", .double(0.9999), .typed("float"), 108),
        ArgSpec("model_ema_force_cpu", .bool(false), .flag, 109),
        ArgSpec("opt", .string("adamw"), .typed("str"), 112),
        ArgSpec("opt_eps", .double(1e-08), .typed("float"), 114),
        ArgSpec("opt_betas", nil, .list("float"), 116),
        ArgSpec("clip_grad", nil, .typed("float"), 118),
        ArgSpec("momentum", .double(0.9), .typed("float"), 120),
        ArgSpec("weight_decay", .double(0.05), .typed("float"), 122),
        ArgSpec("weight_decay_end", nil, .typed("float"), 124),
        ArgSpec("lr", .double(0.0005), .typed("float"), 128),
        ArgSpec("layer_decay", .double(0.9), .typed("float"), 130),
        ArgSpec("warmup_lr", .double(1e-06), .typed("float"), 132),
        ArgSpec("min_lr", .double(1e-06), .typed("float"), 134),
        ArgSpec("warmup_epochs", .int(5), .typed("int"), 137),
        ArgSpec("warmup_steps", .int(-1), .typed("int"), 139),
        ArgSpec("color_jitter", .double(0.4), .typed("float"), 143),
        ArgSpec("smoothing", .int(0), .typed("float"), 147),
        ArgSpec("train_interpolation", .string("bicubic"), .typed("str"), 149),
        ArgSpec("second_interpolation", .string("lanczos"), .typed("str"), 151),
        ArgSpec("crop_pct", nil, .typed("float"), 155),
        ArgSpec("reprob", .double(0.25), .typed("float"), 158),
        ArgSpec("remode", .string("pixel"), .typed("str"), 160),
        ArgSpec("recount", .int(1), .typed("int"), 162),
        ArgSpec("resplit", .bool(false), .flag, 164),
        ArgSpec("mixup", .int(0), .typed("float"), 168),
        ArgSpec("cutmix", .int(0), .typed("float"), 170),
        ArgSpec("cutmix_minmax", nil, .list("float"), 172),
        ArgSpec("mixup_prob", .double(1.0), .typed("float"), 174),
        ArgSpec("mixup_switch_prob", .double(0.5), .typed("float"), 176),
        ArgSpec("mixup_mode", .string("batch"), .typed("str"), 178),
        ArgSpec("finetune", .string(""), .typed("str"), 182),
        ArgSpec("model_key", .string("model|module"), .typed("str"), 184),
        ArgSpec("model_prefix", .string(""), .typed("str"), 185),
        ArgSpec("init_scale", .double(0.001), .typed("float"), 186),
        ArgSpec("use_mean_pooling", .bool(true), .flag, 187),
        ArgSpec("use_cls", nil, .flagFalse, 189, dest: "use_mean_pooling"),
        ArgSpec("disable_weight_decay_on_rel_pos_bias", .bool(false), .flag, 190),
        ArgSpec("data_path", .string("/datasets01/imagenet_full_size/061417/"), .typed("str"), 193),
        ArgSpec("my_mode", .string("train_val"), .typed("str"), 195),
        ArgSpec("eval_data_path", nil, .typed("str"), 197),
        ArgSpec("nb_classes", .int(0), .typed("int"), 199),
        ArgSpec("imagenet_default_mean_and_std", .bool(false), .flag, 201),
        ArgSpec("data_set", .string("CUB"), .typed("str"), 203),
        ArgSpec("output_dir", .string(""), .typed("str"), 205),
        ArgSpec("log_dir", nil, .typed("str"), 207),
        ArgSpec("device", .string("cuda"), .typed("str"), 209),
        ArgSpec("seed", .int(0), .typed("int"), 211),
        ArgSpec("resume", .string(""), .typed("str"), 212),
        ArgSpec("auto_resume", .bool(true), .flag, 214),
        ArgSpec("no_auto_resume", nil, .flagFalse, 215, dest: "auto_resume"),
        ArgSpec("save_ckpt", .bool(true), .flag, 218),
        ArgSpec("no_save_ckpt", nil, .flagFalse, 219, dest: "save_ckpt"),
        ArgSpec("start_epoch", .int(0), .typed("int"), 222),
        ArgSpec("eval", .bool(false), .flag, 224),
        ArgSpec("dist_eval", .bool(false), .flag, 226),
        ArgSpec("num_workers", .int(10), .typed("int"), 228),
        ArgSpec("pin_mem", .bool(true), .flag, 229),
        ArgSpec("no_pin_mem", nil, .flagFalse, 231, dest: "pin_mem"),
        ArgSpec("world_size", .int(1), .typed("int"), 235),
        ArgSpec("local_rank", .int(-1), .typed("int"), 237),
        ArgSpec("dist_on_itp", .bool(false), .flag, 238),
        ArgSpec("dist_url", .string("env://"), .typed("str"), 239),
        ArgSpec("enable_deepspeed", .bool(false), .flag, 242),
        ArgSpec("aa", .string("rand-m9-mstd0.5-inc1"), .typed("str"), 145),
    ])
}

extension ArgParser {
    /// synbol/Parameter-Efficient-Transfer-Learning-Benchmark (V-PETL Bench) @ c188fad ImageClassification/train/
    /// train_model_{adapter,lora,bitfit}.py: the same twelve flags (lines 96-107 in train_model_adapter.py, one lower in
    /// the other two, which import one more module).
    public static func vpetl(_ script: String) -> ArgParser {
        let first = script.hasSuffix("train_model_adapter.py") ? 96 : 97
        let flags: [(String, OptionValue?, ArgSpec.Kind)] = [
            ("seed", .int(42), .typed("int")), ("lr", .double(1e-3), .typed("float")), ("wd", .double(1e-4), .typed("float")),
            ("eval", .string("True"), .typed("str")), ("dpr", .double(0.1), .typed("float")), ("topN", nil, .typed("int")),
            ("model", .string("vit_base_patch16_224_in21k_lora"), .typed("str")), ("model_checkpoint", .string("./released_models/ViT-B_16.npz"), .typed("str")),
            ("model_type", .string("vit_lora"), .typed("str")), ("task", .string("vtab"), .typed("str")), ("dataset", .string("cifar"), .typed("str")),
            ("tuning_mode", .string("lora"), .typed("str")),
        ]
        return ArgParser(file: script, flags.enumerated().map { ($0.element.0, $0.element.1, $0.element.2, first + $0.offset) })
    }
}

/// V-PETL Bench's per-dataset config, `configs/model_lora/<task>/<dataset>.yaml` (read by `get_config('model_lora', …)`,
/// utils.py:40-43, in all three training scripts — BitFit's included, although configs/model_bitfit exists): flat
/// `key: value` lines loaded by yaml.FullLoader, each read as `config['key']`.
public enum VPETLConfig {
    public static func apply(file: URL, displayPath: String, to s: inout OfficialSettings,
                             missing: String = "train_model_*.py reads configs/model_lora/<task>/<dataset>.yaml for the command's --task and --dataset") throws {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw ImportError(file: displayPath, problems: ["file missing or unreadable (\(file.path)): \(missing)"])
        }
        var problems: [String] = []
        for (n, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { problems.append("line \(n + 1): not a `key: value` line"); continue }
            let key = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let raw = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            let v = (try? Yams.compose(yaml: raw)).flatMap { $0 }.flatMap { RecipeValues.value($0) }
            s.set("config['\(key)']", v, source: "\(displayPath):\(n + 1)")
        }
        if !problems.isEmpty { throw ImportError(file: displayPath, problems: problems) }
    }
}

extension ArgParser {
    /// dongzelian/SSF @ e94e0e7 train.py (timm 0.6.5's train.py with SSF's --tuning-mode, --simple-aug, --direct-resize):
    /// the positional data_dir (line 86) and every flag, with its short aliases.
    public static let ssf: ArgParser = {
        var p = ArgParser(file: "train.py", specs: [
        ArgSpec("config", .string(""), .typed("str"), 79, aliases: ["c"]),
        ArgSpec("dataset", .string(""), .typed("str"), 88, aliases: ["d"]),
        ArgSpec("train-split", .string("train"), .typed("str"), 90),
        ArgSpec("val-split", .string("validation"), .typed("str"), 92),
        ArgSpec("dataset-download", .bool(false), .flag, 94),
        ArgSpec("class-map", .string(""), .typed("str"), 96),
        ArgSpec("model", .string("resnet50"), .typed("str"), 100),
        ArgSpec("pretrained", .bool(false), .flag, 102),
        ArgSpec("initial-checkpoint", .string(""), .typed("str"), 104),
        ArgSpec("resume", .string(""), .typed("str"), 106),
        ArgSpec("no-resume-opt", .bool(false), .flag, 108),
        ArgSpec("num-classes", nil, .typed("int"), 110),
        ArgSpec("gp", nil, .typed("str"), 112),
        ArgSpec("img-size", nil, .typed("int"), 114),
        ArgSpec("input-size", nil, .list("int"), 116),
        ArgSpec("crop-pct", nil, .typed("float"), 118),
        ArgSpec("mean", nil, .list("float"), 120),
        ArgSpec("std", nil, .list("float"), 122),
        ArgSpec("interpolation", .string(""), .typed("str"), 124),
        ArgSpec("batch-size", .int(128), .typed("int"), 126, aliases: ["b"]),
        ArgSpec("validation-batch-size", nil, .typed("int"), 128, aliases: ["vb"]),
        ArgSpec("channels-last", .bool(false), .flag, 130),
        ArgSpec("torchscript", .bool(false), .flag, 132),
        ArgSpec("fuser", .string(""), .typed("str"), 134),
        ArgSpec("grad-checkpointing", .bool(false), .flag, 136),
        ArgSpec("tuning-mode", nil, .typed("str"), 141),
        ArgSpec("evaluate", .bool(false), .flag, 145),
        ArgSpec("opt", .string("sgd"), .typed("str"), 150),
        ArgSpec("opt-eps", nil, .typed("float"), 152),
        ArgSpec("opt-betas", nil, .list("float"), 154),
        ArgSpec("momentum", .double(0.9), .typed("float"), 156),
        ArgSpec("weight-decay", .double(2e-05), .typed("float"), 158),
        ArgSpec("clip-grad", nil, .typed("float"), 160),
        ArgSpec("clip-mode", .string("norm"), .typed("str"), 162),
        ArgSpec("layer-decay", nil, .typed("float"), 164),
        ArgSpec("sched", .string("cosine"), .typed("str"), 168),
        ArgSpec("lr", .double(0.05), .typed("float"), 170),
        ArgSpec("lr-noise", nil, .list("float"), 172),
        ArgSpec("lr-noise-pct", .double(0.67), .typed("float"), 174),
        ArgSpec("lr-noise-std", .double(1.0), .typed("float"), 176),
        ArgSpec("lr-cycle-mul", .double(1.0), .typed("float"), 178),
        ArgSpec("lr-cycle-decay", .double(0.5), .typed("float"), 180),
        ArgSpec("lr-cycle-limit", .int(1), .typed("int"), 182),
        ArgSpec("lr-k-decay", .double(1.0), .typed("float"), 184),
        ArgSpec("warmup-lr", .double(0.0001), .typed("float"), 186),
        ArgSpec("min-lr", .double(1e-06), .typed("float"), 188),
        ArgSpec("epochs", .int(300), .typed("int"), 190),
        ArgSpec("epoch-repeats", .double(0.0), .typed("float"), 192),
        ArgSpec("start-epoch", nil, .typed("int"), 194),
        ArgSpec("decay-milestones", .list([.int(30), .int(60)]), .list("int"), 196),
        ArgSpec("decay-epochs", .double(100.0), .typed("float"), 198),
        ArgSpec("warmup-epochs", .int(3), .typed("int"), 200),
        ArgSpec("cooldown-epochs", .int(10), .typed("int"), 202),
        ArgSpec("patience-epochs", .int(10), .typed("int"), 204),
        ArgSpec("decay-rate", .double(0.1), .typed("float"), 206, aliases: ["dr"]),
        ArgSpec("no-aug", .bool(false), .flag, 210),
        ArgSpec("simple-aug", .bool(false), .flag, 212),
        ArgSpec("direct-resize", .bool(false), .flag, 214),
        ArgSpec("scale", .list([.double(0.08), .double(1.0)]), .list("float"), 216),
        ArgSpec("ratio", .list([.double(0.75), .double(1.3333333333333333)]), .list("float"), 218),
        ArgSpec("hflip", .double(0.5), .typed("float"), 220),
        ArgSpec("vflip", .double(0.0), .typed("float"), 222),
        ArgSpec("color-jitter", .double(0.4), .typed("float"), 224),
        ArgSpec("aa", .string("rand-m9-mstd0.5-inc1"), .typed("str"), 226),
        ArgSpec("aug-repeats", .double(0.0), .typed("float"), 228),
        ArgSpec("aug-splits", .int(0), .typed("int"), 230),
        ArgSpec("jsd-loss", .bool(false), .flag, 232),
        ArgSpec("bce-loss", .bool(false), .flag, 234),
        ArgSpec("bce-target-thresh", nil, .typed("float"), 236),
        ArgSpec("reprob", .double(0.25), .typed("float"), 238),
        ArgSpec("remode", .string("pixel"), .typed("str"), 240),
        ArgSpec("recount", .int(1), .typed("int"), 242),
        ArgSpec("resplit", .bool(false), .flag, 244),
        ArgSpec("mixup", .double(0.8), .typed("float"), 246),
        ArgSpec("cutmix", .double(1.0), .typed("float"), 248),
        ArgSpec("cutmix-minmax", nil, .list("float"), 250),
        ArgSpec("mixup-prob", .double(1.0), .typed("float"), 252),
        ArgSpec("mixup-switch-prob", .double(0.5), .typed("float"), 254),
        ArgSpec("mixup-mode", .string("batch"), .typed("str"), 256),
        ArgSpec("mixup-off-epoch", .int(0), .typed("int"), 258),
        ArgSpec("smoothing", .double(0.1), .typed("float"), 260),
        ArgSpec("train-interpolation", .string("random"), .typed("str"), 262),
        ArgSpec("drop", .double(0.0), .typed("float"), 264),
        ArgSpec("drop-connect", nil, .typed("float"), 266),
        ArgSpec("drop-path", nil, .typed("float"), 268),
        ArgSpec("drop-block", nil, .typed("float"), 270),
        ArgSpec("bn-momentum", nil, .typed("float"), 274),
        ArgSpec("bn-eps", nil, .typed("float"), 276),
        ArgSpec("sync-bn", .bool(false), .flag, 278),
        ArgSpec("dist-bn", .string("reduce"), .typed("str"), 280),
        ArgSpec("split-bn", .bool(false), .flag, 282),
        ArgSpec("model-ema", .bool(false), .flag, 286),
        ArgSpec("model-ema-force-cpu", .bool(false), .flag, 288),
        ArgSpec("model-ema-decay", .double(0.9998), .typed("float"), 290),
        ArgSpec("seed", .int(42), .typed("int"), 294),
        ArgSpec("worker-seeding", .string("all"), .typed("str"), 296),
        ArgSpec("log-interval", .int(50), .typed("int"), 298),
        ArgSpec("recovery-interval", .int(0), .typed("int"), 300),
        ArgSpec("checkpoint-hist", .int(10), .typed("int"), 302),
        ArgSpec("workers", .int(8), .typed("int"), 304, aliases: ["j"]),
        ArgSpec("save-images", .bool(false), .flag, 306),
        ArgSpec("amp", .bool(false), .flag, 308),
        ArgSpec("apex-amp", .bool(false), .flag, 310),
        ArgSpec("native-amp", .bool(false), .flag, 312),
        ArgSpec("no-ddp-bb", .bool(false), .flag, 314),
        ArgSpec("pin-mem", .bool(false), .flag, 316),
        ArgSpec("no-prefetcher", .bool(false), .flag, 318),
        ArgSpec("output", .string(""), .typed("str"), 320),
        ArgSpec("experiment", .string(""), .typed("str"), 322),
        ArgSpec("eval-metric", .string("top1"), .typed("str"), 324),
        ArgSpec("tta", .int(0), .typed("int"), 326),
        ArgSpec("local_rank", .int(0), .typed("int"), 328),
        ArgSpec("use-multi-epochs-loader", .bool(false), .flag, 329),
        ArgSpec("log-wandb", .bool(false), .flag, 331),
        ])
        p.positionals = [("data_dir", 86)]
        return p
    }()

}

extension ArgParser {
    /// JieShibo/PETL-ViT @ 026e4f1 FacT/fact_tk.py:168-176 (`--dim 0` and `--scale 0` mean the config's rank and scale).
    public static let factTK = ArgParser(file: "FacT/fact_tk.py", [
        ("seed", .int(42), .typed("int"), 169), ("dim", .int(0), .typed("int"), 171), ("scale", .double(0), .typed("float"), 172),
        ("lr", .double(1e-3), .typed("float"), 173), ("wd", .double(1e-4), .typed("float"), 174),
        ("model", .string("vit_base_patch16_224_in21k"), .typed("str"), 175), ("dataset", .string("cifar"), .typed("str"), 176),
    ])
}

extension ArgParser {
    /// luogen1996/RepAdapter @ 360992f train.py:71-81.
    public static let repadapter = ArgParser(file: "train.py", [
        ("seed", .int(42), .typed("int"), 72), ("lr", .double(1e-3), .typed("float"), 73), ("wd", .double(1e-4), .typed("float"), 74),
        ("model", .string("vit_base_patch16_224_in21k"), .typed("str"), 75), ("dataset", .string("cifar"), .typed("str"), 76),
        ("method", .string("repblock"), .typed("str"), 77), ("scale", .double(0), .typed("float"), 78), ("dim", .int(8), .typed("int"), 79),
        ("few-shot", .bool(false), .flag, 80), ("shots", .int(1), .typed("int"), 81),
    ])
}

extension ArgParser {
    /// extremebird/Hydra @ 4138457 vtab1k/train.py:54-63 (the negative and zero defaults mean "the config's value",
    /// utils.py:64-75 set_hyperparameter).
    public static let hydra = ArgParser(file: "vtab1k/train.py", [
        ("seed", .int(0), .typed("int"), 55), ("lr", .double(-1), .typed("float"), 56), ("wd", .double(-1), .typed("float"), 57),
        ("dataset", .string("cifar"), .typed("str"), 58), ("method", .string("hydra_both"), .typed("str"), 59),
        ("scale", .double(0), .typed("float"), 60), ("dim", .int(2), .typed("int"), 61), ("dropout", .double(-1), .typed("float"), 62),
        ("bsize", .int(-1), .typed("int"), 63),
    ])
}
