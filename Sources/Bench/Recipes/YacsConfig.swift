// yacs/fvcore configurations (KMnP/vpt, E2VPT): the defaults of the repository's `src/configs/config.py`, a YAML file
// whose `_BASE_` chain is merged first (fvcore `load_yaml_with_base`: the child's keys override the base's), then
// `KEY VALUE` pairs from the command line (`merge_from_list`). As in yacs, every value is decoded with Python's
// `literal_eval` (strings that are not literals stay strings), a key the defaults lack is an error, and a value
// whose type differs from the default's (an int where a float is expected) is an error — except when one of them is
// None. The YAML is read with PyYAML's (YAML 1.1) scalar rules.
import Foundation
import Methods
import Yams

/// The defaults of one repository's yacs config: key → value (nil = None) and the line of `config.py` setting it.
public struct YacsDefaults: Sendable {
    public var file: String
    public var entries: [(key: String, value: OptionValue?, line: Int)]
}

public enum YacsConfig {
    /// Settings from the defaults, `file` (with its `_BASE_` chain; paths relative to the file) and `overrides`
    /// (`KEY VALUE` pairs). `displayPath` names `file` in sources (its path inside the official repository).
    public static func read(file: URL, displayPath: String, overrides: [String], defaults: YacsDefaults) throws -> OfficialSettings {
        var s = OfficialSettings()
        for e in defaults.entries { s.set(e.key, e.value, source: "\(defaults.file):\(e.line) (default)") }
        var problems: [String] = []
        let merged = try loadWithBase(file, displayPath: displayPath)
        for (key, (raw, src)) in merged.sorted(by: { $0.value.1 < $1.value.1 }) {
            merge(key, literalEval(raw), source: src, into: &s, problems: &problems)
        }
        guard overrides.count % 2 == 0 else {
            throw ImportError(file: displayPath, problems: ["command-line overrides come in KEY VALUE pairs; '\(overrides.last!)' has no value"])
        }
        for i in stride(from: 0, to: overrides.count, by: 2) {
            merge(overrides[i], literalEval(.string(overrides[i + 1])), source: "command line `\(overrides[i]) \(overrides[i + 1])`", into: &s, problems: &problems)
        }
        if !problems.isEmpty { throw ImportError(file: displayPath, problems: problems) }
        return s
    }

    /// yacs `_merge_a_into_b` / `merge_from_list` for one key: it must exist, and types must match (None aside).
    static func merge(_ key: String, _ v: OptionValue?, source: String, into s: inout OfficialSettings, problems: inout [String]) {
        guard let cur = s[key] else { problems.append("'\(key)' (\(source)): not a key of the official config (yacs: Non-existent config key)"); return }
        if let c = cur.value, let n = v, !sameType(c, n) {
            problems.append("'\(key)' = \(n) (\(source)): type mismatch with the default \(c) (yacs raises ValueError)")
            return
        }
        s.set(key, v, source: source)
    }

    static func sameType(_ a: OptionValue, _ b: OptionValue) -> Bool {
        switch (a, b) {
        case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string), (.list, .list): return true
        default: return false
        }
    }

    /// Flattened `KEY.SUB` → (value, "path:line") of `file` over its `_BASE_` chain.
    static func loadWithBase(_ file: URL, displayPath: String, depth: Int = 0) throws -> [String: (OptionValue?, String)] {
        guard depth < 10 else { throw ImportError(file: displayPath, problems: ["_BASE_ chain deeper than 10 (a cycle?)"]) }
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw ImportError(file: displayPath, problems: ["file missing or unreadable (\(file.path))"])
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw ImportError(file: displayPath, problems: ["not YAML: \(error)"]) }
        var own: [String: (OptionValue?, String)] = [:]
        var base: String?
        func walk(_ n: Node, _ prefix: String) {
            guard let m = n.mapping else { return }
            for (k, v) in m {
                let key = prefix.isEmpty ? (k.string ?? "") : prefix + "." + (k.string ?? "")
                if key == "_BASE_" { base = v.string; continue }
                if v.mapping != nil { walk(v, key) } else { own[key] = (pyYAMLValue(v), "\(displayPath):\(v.mark?.line ?? k.mark?.line ?? 0)") }
            }
        }
        if let node { walk(node, "") }
        guard let b = base else { return own }
        let baseURL = file.deletingLastPathComponent().appendingPathComponent(b).standardizedFileURL
        let baseDisplay = URL(fileURLWithPath: "/" + displayPath).deletingLastPathComponent().appendingPathComponent(b).standardizedFileURL.path.dropFirst()
        var merged = try loadWithBase(baseURL, displayPath: String(baseDisplay), depth: depth + 1)
        for (k, v) in own { merged[k] = v }
        return merged
    }

    /// A YAML node as PyYAML's `safe_load` reads it (YAML 1.1: a float needs a '.', `yes`/`on` are booleans).
    static func pyYAMLValue(_ n: Node) -> OptionValue? {
        if let seq = n.sequence { return .list(seq.compactMap { pyYAMLValue($0) }) }
        guard let sc = n.scalar else { return nil }
        if sc.style != .plain { return .string(sc.string) }
        let t = sc.string
        if ["", "~", "null", "Null", "NULL"].contains(t) { return nil }
        if ["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].contains(t) { return .bool(true) }
        if ["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].contains(t) { return .bool(false) }
        let u = t.replacingOccurrences(of: "_", with: "")
        if u.range(of: #"^[-+]?(0|[1-9][0-9]*)$"#, options: .regularExpression) != nil, let i = Int(u) { return .int(i) }
        if u.range(of: #"^[-+]?([0-9][0-9]*)?\.[0-9.]*([eE][-+][0-9]+)?$"#, options: .regularExpression) != nil, let d = Double(u) { return .double(d) }
        return .string(t)
    }

    /// yacs `_decode_cfg_value`: a string that is a Python literal becomes that literal; others stay as they are.
    static func literalEval(_ v: OptionValue?) -> OptionValue? {
        guard case .string(let s)? = v else { return v }
        return PythonLiteral.parse(s) ?? .string(s)
    }
}

/// The subset of Python's `ast.literal_eval` config values use: None, True/False, ints, floats, quoted strings, lists.
/// Returns nil when `s` is not such a literal (literal_eval would raise; yacs then keeps the string).
public enum PythonLiteral {
    public static func parse(_ s: String) -> OptionValue?? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t == "None" { return .some(nil) }
        if t == "True" { return .bool(true) }
        if t == "False" { return .bool(false) }
        let u = t.replacingOccurrences(of: "_", with: "")
        if u.range(of: #"^[-+]?(0|[1-9][0-9]*)$"#, options: .regularExpression) != nil, let i = Int(u) { return .int(i) }
        if u.range(of: #"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil, let d = Double(u) { return .double(d) }
        if t.count >= 2, let f = t.first, f == t.last, f == "'" || f == "\"" { return .string(String(t.dropFirst().dropLast())) }
        if t.hasPrefix("["), t.hasSuffix("]") {
            let inner = t.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            if inner.isEmpty { return .list([]) }
            var items: [OptionValue] = []
            for part in inner.split(separator: ",") {
                guard let p = parse(String(part)), let v = p else { return nil }
                items.append(v)
            }
            return .list(items)
        }
        return nil
    }
}

extension YacsDefaults {
    /// KMnP/vpt @ 4410440 src/configs/config.py (the `_C` defaults; line of each assignment).
    public static let kmnpVPT = YacsDefaults(file: "src/configs/config.py", entries: [
        ("DBG", .bool(false), 13), ("OUTPUT_DIR", .string("./output"), 14), ("RUN_N_TIMES", .int(5), 15),
        ("CUDNN_BENCHMARK", .bool(false), 19), ("NUM_GPUS", .int(1), 22), ("NUM_SHARDS", .int(1), 23), ("SEED", nil, 27),
        ("MODEL.TRANSFER_TYPE", .string("linear"), 33), ("MODEL.WEIGHT_PATH", .string(""), 34), ("MODEL.SAVE_CKPT", .bool(false), 35),
        ("MODEL.MODEL_ROOT", .string(""), 37), ("MODEL.TYPE", .string("vit"), 39), ("MODEL.MLP_NUM", .int(0), 40),
        ("MODEL.LINEAR.MLP_SIZES", .list([]), 43), ("MODEL.LINEAR.DROPOUT", .double(0.1), 44),
        ("MODEL.PROMPT.NUM_TOKENS", .int(5), 50), ("MODEL.PROMPT.LOCATION", .string("prepend"), 51),
        ("MODEL.PROMPT.INITIATION", .string("random"), 57), ("MODEL.PROMPT.CLSEMB_FOLDER", .string(""), 58),
        ("MODEL.PROMPT.CLSEMB_PATH", .string(""), 59), ("MODEL.PROMPT.PROJECT", .int(-1), 60), ("MODEL.PROMPT.DEEP", .bool(false), 61),
        ("MODEL.PROMPT.NUM_DEEP_LAYERS", nil, 64), ("MODEL.PROMPT.REVERSE_DEEP", .bool(false), 65),
        ("MODEL.PROMPT.DEEP_SHARED", .bool(false), 66), ("MODEL.PROMPT.FORWARD_DEEP_NOEXPAND", .bool(false), 67),
        ("MODEL.PROMPT.VIT_POOL_TYPE", .string("original"), 73), ("MODEL.PROMPT.DROPOUT", .double(0.0), 74),
        ("MODEL.PROMPT.SAVE_FOR_EACH_EPOCH", .bool(false), 75),
        ("MODEL.ADAPTER.REDUCATION_FACTOR", .int(8), 80), ("MODEL.ADAPTER.STYLE", .string("Pfeiffer"), 81),
        ("SOLVER.LOSS", .string("softmax"), 87), ("SOLVER.LOSS_ALPHA", .double(0.01), 88), ("SOLVER.OPTIMIZER", .string("sgd"), 90),
        ("SOLVER.MOMENTUM", .double(0.9), 91), ("SOLVER.WEIGHT_DECAY", .double(0.0001), 92), ("SOLVER.WEIGHT_DECAY_BIAS", .int(0), 93),
        ("SOLVER.PATIENCE", .int(300), 95), ("SOLVER.SCHEDULER", .string("cosine"), 98), ("SOLVER.BASE_LR", .double(0.01), 100),
        ("SOLVER.BIAS_MULTIPLIER", .double(1.0), 101), ("SOLVER.WARMUP_EPOCH", .int(5), 103), ("SOLVER.TOTAL_EPOCH", .int(30), 104),
        ("SOLVER.LOG_EVERY_N", .int(1000), 105), ("SOLVER.DBG_TRAINABLE", .bool(false), 108),
        ("DATA.NAME", .string(""), 115), ("DATA.DATAPATH", .string(""), 116), ("DATA.FEATURE", .string(""), 117),
        ("DATA.PERCENTAGE", .double(1.0), 119), ("DATA.NUMBER_CLASSES", .int(-1), 120), ("DATA.MULTILABEL", .bool(false), 121),
        ("DATA.CLASS_WEIGHTS_TYPE", .string("none"), 122), ("DATA.CROPSIZE", .int(224), 124), ("DATA.NO_TEST", .bool(false), 126),
        ("DATA.BATCH_SIZE", .int(32), 127), ("DATA.NUM_WORKERS", .int(4), 129), ("DATA.PIN_MEMORY", .bool(true), 131),
        ("DIST_BACKEND", .string("nccl"), 133), ("DIST_INIT_PATH", .string("env://"), 134), ("DIST_INIT_FILE", .string(""), 135),
    ])
}

extension YacsDefaults {
    /// ChengHan111/E2VPT @ 7a66e75 src/configs/config.py (the `_C` defaults; line of each assignment).
    public static let e2vpt = YacsDefaults(file: "src/configs/config.py", entries: [
        ("DBG", .bool(false), 13),
        ("OUTPUT_DIR", .string("./output_fgvc"), 14),
        ("RUN_N_TIMES", .int(5), 15),
        ("CUDNN_BENCHMARK", .bool(false), 19),
        ("NUM_GPUS", .int(1), 22),
        ("NUM_SHARDS", .int(1), 23),
        ("SEED", nil, 27),
        ("ATTRIBUTION_TYPE", .string("specific"), 30),
        ("ATTRIBUTION_INTEGRATED_METHOD", .string("ig"), 31),
        ("SAVE_LOGITS", .bool(false), 32),
        ("MODEL.TRANSFER_TYPE", .string("linear"), 38),
        ("MODEL.WEIGHT_PATH", .string(""), 39),
        ("MODEL.SAVE_CKPT", .bool(false), 40),
        ("MODEL.SAVE_CKPT_FINALRUNS", .bool(false), 41),
        ("MODEL.MODEL_ROOT", .string("./models"), 43),
        ("MODEL.TYPE", .string("vit"), 45),
        ("MODEL.MLP_NUM", .int(0), 46),
        ("MODEL.LINEAR.MLP_SIZES", .list([]), 49),
        ("MODEL.LINEAR.DROPOUT", .double(0.1), 50),
        ("MODEL.PROMPT.NUM_TOKENS", .int(5), 56),
        ("MODEL.PROMPT.LOCATION", .string("prepend"), 57),
        ("MODEL.PROMPT.INITIATION", .string("random"), 63),
        ("MODEL.PROMPT.CLSEMB_FOLDER", .string(""), 64),
        ("MODEL.PROMPT.CLSEMB_PATH", .string(""), 65),
        ("MODEL.PROMPT.PROJECT", .int(-1), 66),
        ("MODEL.PROMPT.DEEP", .bool(false), 67),
        ("MODEL.PROMPT.NUM_DEEP_LAYERS", nil, 70),
        ("MODEL.PROMPT.REVERSE_DEEP", .bool(false), 71),
        ("MODEL.PROMPT.DEEP_SHARED", .bool(false), 72),
        ("MODEL.PROMPT.FORWARD_DEEP_NOEXPAND", .bool(false), 73),
        ("MODEL.PROMPT.VIT_POOL_TYPE", .string("original"), 79),
        ("MODEL.PROMPT.DROPOUT", .double(0.0), 80),
        ("MODEL.PROMPT.SAVE_FOR_EACH_EPOCH", .bool(false), 81),
        ("MODEL.PROMPT.FT_PT_MIXED", .bool(false), 82),
        ("MODEL.ADAPTER.REDUCATION_FACTOR", .int(8), 87),
        ("MODEL.ADAPTER.STYLE", .string("Pfeiffer"), 88),
        ("SOLVER.LOSS", .string("softmax"), 94),
        ("SOLVER.LOSS_ALPHA", .double(0.01), 95),
        ("SOLVER.OPTIMIZER", .string("sgd"), 97),
        ("SOLVER.MOMENTUM", .double(0.9), 98),
        ("SOLVER.WEIGHT_DECAY", .double(0.0001), 99),
        ("SOLVER.WEIGHT_DECAY_BIAS", .int(0), 100),
        ("SOLVER.PATIENCE", .int(300), 102),
        ("SOLVER.SCHEDULER", .string("cosine"), 105),
        ("SOLVER.BASE_LR", .double(0.01), 107),
        ("SOLVER.BIAS_MULTIPLIER", .double(1.0), 108),
        ("SOLVER.WARMUP_EPOCH", .int(5), 110),
        ("SOLVER.TOTAL_EPOCH", .int(30), 111),
        ("SOLVER.LOG_EVERY_N", .int(1000), 112),
        ("SOLVER.DBG_TRAINABLE", .bool(false), 115),
        ("MODEL.QKV_insert.NUM_TOKENS", .int(5), 122),
        ("MODEL.QKV_insert.DEEP", .bool(true), 133),
        ("MODEL.QKV_insert.VIT_POOL_TYPE", .string("original"), 145),
        ("MODEL.QKV_insert.DROPOUT", .double(0.0), 146),
        ("MODEL.QKV_insert.LAYER_BEHIND", .bool(true), 147),
        ("MODEL.QKV_insert.SHARE_PARAM_KV", .bool(true), 148),
        ("MODEL.P_VK.NUM_TOKENS_P", .int(5), 156),
        ("MODEL.P_VK.LOCATION", .string("prepend"), 157),
        ("MODEL.P_VK.INITIATION", .string("random"), 163),
        ("MODEL.P_VK.CLSEMB_FOLDER", .string(""), 164),
        ("MODEL.P_VK.CLSEMB_PATH", .string(""), 165),
        ("MODEL.P_VK.PROJECT", .int(-1), 166),
        ("MODEL.P_VK.DEEP_P", .bool(true), 167),
        ("MODEL.P_VK.NUM_DEEP_LAYERS", nil, 170),
        ("MODEL.P_VK.REVERSE_DEEP", .bool(false), 171),
        ("MODEL.P_VK.DEEP_SHARED", .bool(false), 172),
        ("MODEL.P_VK.FORWARD_DEEP_NOEXPAND", .bool(false), 173),
        ("MODEL.P_VK.VIT_POOL_TYPE", .string("original"), 179),
        ("MODEL.P_VK.DROPOUT_P", .double(0.0), 180),
        ("MODEL.P_VK.SAVE_FOR_EACH_EPOCH", .bool(false), 181),
        ("MODEL.P_VK.NUM_TOKENS", .int(5), 183),
        ("MODEL.P_VK.DEEP", .bool(true), 184),
        ("MODEL.P_VK.DROPOUT", .double(0.0), 185),
        ("MODEL.P_VK.LAYER_BEHIND", .bool(true), 186),
        ("MODEL.P_VK.SHARE_PARAM_KV", .bool(true), 187),
        ("MODEL.P_VK.ORIGIN_INIT", .int(2), 188),
        ("MODEL.P_VK.SHARED_ACCROSS", .bool(false), 189),
        ("MODEL.P_VK.MASK_CLS_TOKEN", .bool(true), 192),
        ("MODEL.P_VK.NORMALIZE_SCORES_BY_TOKEN", .bool(false), 193),
        ("MODEL.P_VK.CLS_TOKEN_MASK", .bool(true), 194),
        ("MODEL.P_VK.CLS_TOKEN_MASK_PERCENT_NUM", nil, 195),
        ("MODEL.P_VK.CLS_TOKEN_MASK_PERCENT", .list([10, 20, 30, 40, 50, 60, 70, 80, 90].map { .int($0) }), 196),
        ("MODEL.P_VK.MIN_NUMBER_CLS_TOKEN", .int(1), 197),
        ("MODEL.P_VK.CLS_TOKEN_MASK_PIECES", .bool(true), 199),
        ("MODEL.P_VK.CLS_TOKEN_PIECE_MASK_PERCENT_NUM", nil, 200),
        ("MODEL.P_VK.CLS_TOKEN_PIECE_MASK_PERCENT", .list([10, 20, 30, 40, 50, 60, 70, 80, 90].map { .int($0) }), 201),
        ("MODEL.P_VK.MIN_NUMBER_CLS_TOKEN_PIECE", .int(4), 202),
        ("MODEL.P_VK.CLS_TOKEN_P_PIECES_NUM", .int(16), 204),
        ("MODEL.P_VK.MASK_RESERVE", .bool(false), 205),
        ("MODEL.P_VK.REWIND_MASK_CLS_TOKEN_NUM", .int(-1), 207),
        ("MODEL.P_VK.REWIND_MASK_CLS_TOKEN_PIECE_NUM", .int(-1), 208),
        ("MODEL.P_VK.REWIND_STATUS", .bool(false), 209),
        ("MODEL.P_VK.REWIND_OUTPUT_DIR", .string(""), 210),
        ("MODEL.P_VK.SAVE_REWIND_MODEL", .bool(false), 211),
        ("MODEL.P_VK.MASK_CLS_TOKEN_ON_VK", .bool(false), 214),
        ("MODEL.P_VK.QUERY_PROMPT_MODE", .int(0), 216),
        ("MODEL.P_VK.FT_PT_MIXED", .bool(false), 217),
        ("DATA.NAME", .string(""), 223),
        ("DATA.DATAPATH", .string(""), 224),
        ("DATA.FEATURE", .string(""), 225),
        ("DATA.PERCENTAGE", .double(1.0), 227),
        ("DATA.NUMBER_CLASSES", .int(-1), 228),
        ("DATA.MULTILABEL", .bool(false), 229),
        ("DATA.CLASS_WEIGHTS_TYPE", .string("none"), 230),
        ("DATA.CROPSIZE", .int(224), 232),
        ("DATA.NO_TEST", .bool(false), 234),
        ("DATA.BATCH_SIZE", .int(32), 235),
        ("DATA.NUM_WORKERS", .int(4), 237),
        ("DATA.PIN_MEMORY", .bool(true), 239),
        ("DATA.EVEN_SEPARETE", .bool(false), 242),
        ("DATA.MAX_IMAGES_PER_CLASS_TRAIN", .int(1), 243),
        ("DATA.MAX_IMAGES_PER_CLASS_VAL", .int(1), 244),
        ("DATA.RANDOM_SEED", .int(0), 247),
        ("DATA.RAMDOM_TRAIN_IMAGE_NUM", .int(100), 248),
        ("DATA.RAMDOM_TEST_IMAGE_NUM", .int(100), 249),
        ("DATA.RAMDOM_VAL_IMAGE_NUM", .int(100), 250),
        ("DATA.RAMDOM_TRAIN", .bool(true), 251),
        ("DATA.RAMDOM_TEST", .bool(true), 252),
        ("DATA.RAMDOM_VAL", .bool(true), 253),
        ("DIST_BACKEND", .string("nccl"), 255),
        ("DIST_INIT_PATH", .string("env://"), 256),
        ("DIST_INIT_FILE", .string(""), 257),
    ])
}
