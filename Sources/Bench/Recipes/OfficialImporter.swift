// `bench recipe import`: an official configuration, read the way the official code reads it, turned into a recipe.
import Foundation
import Methods

public enum OfficialImporter {
    /// The official repository and commit each method's importer is written against.
    public static let pinned: [String: (repo: String, commit: String)] = [
        "vpt-deep": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "vpt-shallow": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "linear": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "full": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "bias": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "partial-1": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "adapter": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "e2vpt": ("ChengHan111/E2VPT", "7a66e75eef6b7e15df83463d31b60eba5938d208"),
        "da-vpt": ("Noahsark/DA-VPT", "1a5ac60939bfe26a6cdbb6afadf0bdbd07cf3a9a"),
        "da-vpt-plus": ("Noahsark/DA-VPT", "1a5ac60939bfe26a6cdbb6afadf0bdbd07cf3a9a"),
        "insvp": ("zhoujiahuan1991/MM2024-InsVP", "9a89ad5058cccd98d2b8c2856ccbc4ad4f15f070"),
        "ilm-vp": ("OPTML-Group/ILM-VP", "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223"),
        "flm-vp": ("OPTML-Group/ILM-VP", "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223"),
        "rlm-vp": ("OPTML-Group/ILM-VP", "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223"),
        "dam-vp": ("shikiw/DAM-VP", "dec5821ecbee908c4d9efcb66fe81eb553849574"),
        "sa2vp": ("tommy-xq/SA2VP", "35674e745809ad6aa05b4e63f3d422ba7149f817"),
        "sa2vp-swin": ("tommy-xq/SA2VP", "35674e745809ad6aa05b4e63f3d422ba7149f817"),
    ]

    /// Methods that a second official code base also runs, by format: `linear` and `full` on ResNets follow
    /// OPTML-Group/ILM-VP's experiments/cnn/linear_probing.py and full_finetune.py (argparse), beside KMnP/vpt's yacs.
    public static let otherSources: [String: [String: (repo: String, commit: String)]] = [
        "linear": ["argparse": ("OPTML-Group/ILM-VP", "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223")],
        "full": ["argparse": ("OPTML-Group/ILM-VP", "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223")],
    ]

    /// Every official source of `method`: (repo, commit, format), the default (`pinned`) first.
    public static func sources(_ method: String) -> [(repo: String, commit: String, format: String)] {
        var all: [(repo: String, commit: String, format: String)] = []
        if let p = pinned[method], let f = OfficialMapping.formatOf(method) { all.append((p.repo, p.commit, f)) }
        for (f, p) in (otherSources[method] ?? [:]).sorted(by: { $0.key < $1.key }) { all.append((p.repo, p.commit, f)) }
        return all
    }

    /// The official settings of `file` + `args` for `method`, plus keys the official reader itself skips. `format`
    /// picks among a method's sources (default: its first, `pinned`).
    /// `displayPath` is the file's path inside the official repository (used in every source).
    /// - yacs: `args` are `KEY VALUE` pairs (train.py opts);
    /// - colon (DA-VPT): `args` are params.py flags; the config file is applied after them and wins;
    /// - argparse: `file` is an `sh/*.sh` script (its python command) or the `.py` entry point itself; `args` follow.
    public static func settings(method: String, file: URL, displayPath: String, args: [String], format: String? = nil) throws -> (OfficialSettings, [NoEffectKey]) {
        guard let format = format ?? OfficialMapping.formatOf(method) else {
            throw MappingError("no importer for method '\(method)' (known: \(pinned.keys.sorted().joined(separator: ", ")))")
        }
        switch format {
        case "yacs":
            return (try YacsConfig.read(file: file, displayPath: displayPath, overrides: args, defaults: method == "e2vpt" ? .e2vpt : .kmnpVPT), [])
        case "colon":
            var s = try ArgParser.davpt.parse(args, source: "command line")
            let notes = try ColonConfig.apply(file: file, displayPath: displayPath, to: &s)
            s.set("config", .string(displayPath), source: "the config file read")
            return (s, notes)
        default:
            if file.pathExtension == "sh" {
                guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                    throw ImportError(file: displayPath, problems: ["file missing or unreadable (\(file.path))"])
                }
                // Leading VAR=VALUE arguments pick a loop's value in the script (`seed=2`); the rest are flags.
                var rest = args, bindings: [String: String] = [:]
                while let a = rest.first, !a.hasPrefix("-"), let eq = a.firstIndex(of: "=") {
                    bindings[String(a[..<eq])] = String(a[a.index(after: eq)...]); rest.removeFirst()
                }
                let cmd = try ShellCommand.pythonArgs(text, file: displayPath, bindings: bindings)
                return (try argParser(method, format: format)!.parse(cmd + rest, source: displayPath + (rest.isEmpty ? "" : " + command line")), [])
            } else if file.pathExtension != "py" {
                throw ImportError(file: displayPath, problems: ["an argparse import takes an sh/*.sh script or the .py entry point followed by its flags"])
            }
            guard let parser = argParser(method, format: format) else { throw MappingError("no argparse importer for method '\(method)'") }
            return (try parser.parse(args, source: displayPath + (args.isEmpty ? "" : " + command line")), [])
        }
    }

    /// The official argparse parser of a method read from argparse commands or (DA-VPT) whose config file overlays one.
    public static func argParser(_ method: String, format: String? = nil) -> ArgParser? {
        if format == "argparse", let p = ["linear": ArgParser.ilmLinearProbing, "full": .ilmFullFinetune][method] { return p }
        return ["da-vpt": ArgParser.davpt, "da-vpt-plus": .davpt, "insvp": .insvp, "ilm-vp": .ilmvp, "flm-vp": .flmvp, "rlm-vp": .rlmvp, "dam-vp": .damvp, "sa2vp": .sa2vp, "sa2vp-swin": .sa2vpSwin][method]
    }

    /// The recipe values of an official configuration; throws naming every key it cannot map.
    public static func run(method: String, file: URL, displayPath: String, args: [String], format: String? = nil) throws -> ImportResult {
        let (s, notes) = try settings(method: method, file: file, displayPath: displayPath, args: args, format: format)
        guard let format = format ?? OfficialMapping.formatOf(method) else { throw MappingError("no importer for method '\(method)'") }
        var r = try OfficialMapping.named(method, format: format).apply(s, file: displayPath)
        r.noEffect = notes + r.noEffect
        return r
    }

    /// How a committed recipe compares with its official source: (key, official, ours) for every value that
    /// differs. A recipe key that is absent matches only an official default (the method's own default then applies).
    public static func differences(recipeText: String, recipeFile: String, imported: ImportResult) throws -> [(key: String, official: OptionValue, ours: OptionValue?)] {
        let ours = try RecipeValues.flatten(yaml: recipeText, file: recipeFile)
        var out: [(String, OptionValue, OptionValue?)] = []
        for v in imported.values {
            if let o = ours[v.key] {
                if !OptionValue.same(o, v.value) { out.append((v.key, v.value, o)) }
            } else if !v.source.hasSuffix("(default)") {
                out.append((v.key, v.value, nil))
            }
        }
        return out
    }
}

extension OfficialImporter {
    /// Method options for `bench probe` from options written with official names: keys of the official parser go
    /// through the method's mapping (so `mixup`, `p_len_vpt`, `fp16`, … are accepted: mapped, checked, or noted as
    /// not affecting one batch), keys it does not know pass through to the method (which rejects unknown ones).
    /// Returns the options and one note per official key that is not a method option.
    public static func probeOptions(method: String, _ options: MethodOptions) throws -> (MethodOptions, [String]) {
        guard let format = OfficialMapping.formatOf(method), format != "yacs" else { return (options, []) }
        guard let parser = argParser(method) else { return (options, []) }
        let mapping = try OfficialMapping.named(method, format: format)
        var s = try parser.parse([], source: "")
        var passthrough: MethodOptions = [:], given: Set<String> = []
        for (k, v) in options.sorted(by: { $0.key < $1.key }) {
            if s[k] != nil, mapping.rules[k] != nil { s.set(k, v, source: "probe config options"); given.insert(k) } else { passthrough[k] = v }
        }
        let r = try mapping.apply(s, file: "probe config options", only: given)
        var out: MethodOptions = passthrough, notes: [String] = []
        // Only the keys the config gives: the method's own defaults stand for the rest, as before.
        for v in r.values where v.key.hasPrefix("options.") && v.source.contains("probe config options") { out[String(v.key.dropFirst(8))] = v.value }
        var training: [String: [String]] = [:]
        for v in r.values where !v.key.hasPrefix("options.") { training[v.source.components(separatedBy: " = ").first ?? v.key, default: []].append(v.key) }
        for (k, keys) in training.sorted(by: { $0.key < $1.key }) { notes.append("\(k): training setting (recipe \(keys.joined(separator: ", "))), not used by a one-batch probe") }
        for n in r.noEffect where n.source == "probe config options" { notes.append("\(n.key): no effect on results — \(n.reason)") }
        return (out, notes)
    }
}
