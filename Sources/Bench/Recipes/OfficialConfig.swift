// An official configuration (a yacs YAML, a DA-VPT `key: value` file, an argparse command) read into settings,
// and the recipe values those settings mean. Every official key ends in exactly one of three places: a recipe
// value, the "no effect on results" list (with its reason), or an error naming it. Nothing is dropped silently.
import Foundation
import Methods
import Yams

/// Where a recipe's values come from: the official repository, the file (path inside the repository) and the
/// command-line arguments given with it (yacs `KEY VALUE` pairs, argparse `--flag=value`).
public struct OfficialSource: Codable, Sendable, Equatable {
    /// `owner/name` on GitHub.
    public var repo: String
    public var commit: String
    /// `yacs` (KMnP/vpt, E2VPT), `colon` (DA-VPT `key: value`), `argparse` (InsVP `sh/*.sh` or a command), `vpetl`
    /// (V-PETL Bench's run_vit_*.sh + configs/model_lora yaml), `timm` (SSF's timm train.py under torch.distributed.launch),
    /// `petl-yaml` (FacT, RepAdapter, Hydra: the .py entry point's flags + the per-task yaml its get_config loads).
    public var format: String
    public var file: String
    public var args: [String]?

    public init(repo: String, commit: String, format: String, file: String, args: [String]? = nil) {
        self.repo = repo; self.commit = commit; self.format = format; self.file = file; self.args = args
    }
}

/// A value a recipe sets on purpose to something other than its official source (the paper's setting over the
/// repository's default, a published value the repository lacks), with the reason.
public struct DeclaredDifference: Codable, Sendable, Equatable {
    /// Recipe key, dotted for nested ones (`options.NUM_TOKENS`, `schedule.warmupEpochs`).
    public var key: String
    public var official: OptionValue
    public var ours: OptionValue
    public var reason: String

    /// One line for report footers.
    public var footerText: String { "\(key): official \(official), ours \(ours) — \(reason)" }
}

/// One official key's value (nil = Python `None`) and where it was set: a file line, a command-line argument or a
/// default (file:line of the official parser).
public struct OfficialSetting: Sendable {
    public var key: String
    public var value: OptionValue?
    public var source: String
}

/// The settings of one official configuration, in the order the official code defines them.
public struct OfficialSettings: Sendable {
    public private(set) var keys: [String] = []
    private var byKey: [String: OfficialSetting] = [:]

    public init() {}
    public subscript(key: String) -> OfficialSetting? { byKey[key] }
    public var all: [OfficialSetting] { keys.map { byKey[$0]! } }

    public mutating func set(_ key: String, _ value: OptionValue?, source: String) {
        if byKey[key] == nil { keys.append(key) }
        byKey[key] = OfficialSetting(key: key, value: value, source: source)
    }
}

/// A recipe value read from an official configuration, and where it came from.
public struct ImportedValue: Sendable, Equatable {
    /// Dotted recipe key (`lr`, `options.p_len`, `schedule.kind`).
    public var key: String
    public var value: OptionValue
    public var source: String
}

/// An official key that does not change what is trained (output folders, logging, device ids), with the reason.
public struct NoEffectKey: Sendable {
    public var key: String
    public var value: String
    public var reason: String
    public var source: String
}

/// What one official key means for a method.
public enum KeyRule: Sendable {
    /// Recipe values (possibly none when another key carries them; then `note` says which).
    case map(@Sendable (OptionValue?, OfficialSettings) throws -> [(String, OptionValue)])
    /// Does not change the trained model or the reported number.
    case noEffect(String)
    /// Accepted only at these values: the behaviour the method implements. Any other value is rejected naming the key.
    case only([OptionValue?], String)
}

/// An official configuration that cannot become a recipe; names the file and every offending key.
public struct ImportError: Error, CustomStringConvertible {
    public var file: String
    public var problems: [String]
    public var description: String { "\(file):\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
}

/// A method's reading of official settings: a rule per official key, plus values fixed by the official code itself
/// (optimizer class, selection rule) with their file:line.
public struct OfficialMapping: Sendable {
    public var method: String
    public var rules: [String: KeyRule]
    /// Values the official code fixes (not configurable there), each with its citation.
    public var codeValues: [ImportedValue]

    /// Recipe values and no-effect keys for `settings`; throws naming every key that is unknown or unsupported.
    /// `only`: read just these keys (the others still inform cross-key rules), and no code values (`bench probe`).
    public func apply(_ settings: OfficialSettings, file: String, only: Set<String>? = nil) throws -> ImportResult {
        var values = only == nil ? codeValues : [], noEffect: [NoEffectKey] = [], problems: [String] = []
        for s in settings.all where only?.contains(s.key) ?? true {
            let shown = s.value?.description ?? "None"
            guard let rule = rules[s.key] else {
                problems.append("'\(s.key)' = \(shown) (\(s.source)): not an option of the official \(method) code this importer knows")
                continue
            }
            switch rule {
            case .noEffect(let why): noEffect.append(NoEffectKey(key: s.key, value: shown, reason: why, source: s.source))
            case .only(let allowed, let why):
                if allowed.contains(where: { Self.same($0, s.value) }) {
                    noEffect.append(NoEffectKey(key: s.key, value: shown, reason: "the implemented behaviour (\(why))", source: s.source))
                } else {
                    let list = allowed.map { $0?.description ?? "None" }.joined(separator: ", ")
                    problems.append("'\(s.key)' = \(shown) (\(s.source)): only \(list) is implemented (\(why))")
                }
            case .map(let f):
                do {
                    let mapped = try f(s.value, settings)
                    if mapped.isEmpty {
                        noEffect.append(NoEffectKey(key: s.key, value: shown, reason: "checked against the other settings; no recipe value of its own", source: s.source))
                    }
                    for (k, v) in mapped {
                        values.removeAll { $0.key == k }
                        values.append(ImportedValue(key: k, value: v, source: "\(s.key) = \(shown), \(s.source)"))
                    }
                } catch {
                    problems.append("'\(s.key)' = \(shown) (\(s.source)): \(error)")
                }
            }
        }
        if !problems.isEmpty { throw ImportError(file: file, problems: problems) }
        return ImportResult(method: method, values: values, noEffect: noEffect)
    }

    /// Equal as values: numbers compare numerically (an int 5 equals 5.0), nil equals nil.
    static func same(_ a: OptionValue?, _ b: OptionValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (a?, b?): return OptionValue.same(a, b)
        default: return false
        }
    }
}

extension OptionValue {
    /// Numbers compare numerically (int 5 == double 5.0, to 1e-12 relative), lists element-wise, others exactly.
    public static func same(_ a: OptionValue, _ b: OptionValue) -> Bool {
        if let x = a.number, let y = b.number { return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y)) }
        if case .list(let l) = a, case .list(let m) = b { return l.count == m.count && zip(l, m).allSatisfy { same($0, $1) } }
        return a == b
    }

    public var number: Double? {
        switch self { case .int(let i): return Double(i); case .double(let d): return d; default: return nil }
    }
}

/// A mapping failure for one key; `apply` prefixes the key and its source.
public struct MappingError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// An official configuration turned into recipe values.
public struct ImportResult: Sendable {
    public var method: String
    public var values: [ImportedValue]
    public var noEffect: [NoEffectKey]

    public func value(_ key: String) -> OptionValue? { values.first { $0.key == key }?.value }

    /// The recipe YAML: each value with its source as a comment; the no-effect keys listed at the end.
    public func yaml(source: OfficialSource) -> String {
        var out = ["# \(method) — imported by `bench recipe import` from \(source.repo) @ \(source.commit.prefix(7)) \(source.file)"
                   + ((source.args ?? []).isEmpty ? "" : " with its command-line arguments") + ".",
                   "method: \(method)"]
        out.append("official:")
        out.append("  repo: \(source.repo)")
        out.append("  commit: \(Self.render(.string(source.commit)))")
        out.append("  format: \(source.format)")
        out.append("  file: \(Self.render(.string(source.file)))")
        if let a = source.args, !a.isEmpty { out.append("  args: [" + a.map { Self.render(.string($0), forceQuote: true) }.joined(separator: ", ") + "]") }
        var groups: [String: [ImportedValue]] = [:], top: [ImportedValue] = []
        for v in values {
            if let dot = v.key.firstIndex(of: ".") { groups[String(v.key[..<dot]), default: []].append(v) } else { top.append(v) }
        }
        if groups["options"] == nil { out.append("options: {}") }
        let order = ["options", "optimizer", "schedule"]
        for g in order + groups.keys.filter({ !order.contains($0) }).sorted() {
            guard let vs = groups[g] else { continue }
            out.append("\(g):")
            for v in vs { out.append("  \(v.key.split(separator: ".", maxSplits: 1)[1]): \(Self.render(v.value))   # \(v.source)") }
        }
        for v in top { out.append("\(v.key): \(Self.render(v.value))   # \(v.source)") }
        if !noEffect.isEmpty {
            out.append("# Official keys with no effect on results:")
            for n in noEffect { out.append("#   \(n.key) = \(n.value) (\(n.source)): \(n.reason)") }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A YAML scalar that reads back as the same value (doubles always with a decimal point).
    static func render(_ v: OptionValue, forceQuote: Bool = false) -> String {
        switch v {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return "\(i)"
        case .double(let d):
            var s = "\(d)"
            if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }), !s[..<e].contains(".") { s.insert(contentsOf: ".0", at: e) }
            return s
        case .string(let s):
            let plain = !forceQuote && !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_/.".contains($0) })
                && (try? Yams.compose(yaml: s))??.tag.description == "tag:yaml.org,2002:str"
            return plain ? s : "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .list(let l): return "[" + l.map { render($0) }.joined(separator: ", ") + "]"
        }
    }
}

/// A recipe file's values as dotted keys (`options.p_len`), for comparison with an import. `lr` is the learning
/// rate the optimiser starts from (`lr_scaling` applied), since the official commands give that one.
public enum RecipeValues {
    public static func flatten(yaml text: String, file: String) throws -> [String: OptionValue] {
        guard let node = try Yams.compose(yaml: text) else { throw RecipeError(file: file, message: "empty recipe") }
        var out: [String: OptionValue] = [:]
        func walk(_ n: Node, _ prefix: String) {
            if let m = n.mapping {
                for (k, v) in m { walk(v, prefix.isEmpty ? (k.string ?? "") : prefix + "." + (k.string ?? "")) }
            } else if let v = value(n) { out[prefix] = v }
        }
        walk(node, "")
        if case .string("batch/256")? = out["lr_scaling"], let lr = out["lr"]?.number, let b = out["batch_size"]?.number {
            out["lr"] = .double(lr * b / 256)
            out["lr_scaling"] = nil
        }
        return out
    }

    static func value(_ n: Node) -> OptionValue? {
        if let s = n.sequence { return .list(s.compactMap { value($0) }) }
        guard n.scalar != nil else { return nil }
        switch n.tag.description {
        case "tag:yaml.org,2002:bool": return n.bool.map { .bool($0) }
        case "tag:yaml.org,2002:int": return n.int.map { .int($0) }
        case "tag:yaml.org,2002:float": return n.float.map { .double($0) }
        case "tag:yaml.org,2002:null": return nil
        default: return n.string.map { .string($0) }
        }
    }
}
