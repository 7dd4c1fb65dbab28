// `bench recipe import`: an official configuration, read the way the official code reads it, turned into a recipe.
import Foundation
import Methods

public enum OfficialImporter {
    /// The official repository and commit each method's importer is written against.
    public static let pinned: [String: (repo: String, commit: String)] = [
        "vpt-deep": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "vpt-shallow": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "linear": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "mlp-3": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
        "sidetune": ("KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567"),
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
        "adaptformer": (vpetlRepo, vpetlCommit),
        "lora": (vpetlRepo, vpetlCommit),
        "ssf": ("dongzelian/SSF", "e94e0e704a4ece1986a537c97a95158b46838f71"),
        "fact": ("JieShibo/PETL-ViT", "026e4f12cfbe1e46bfb4d3ed5ba09f2d9f83e91e"),
        "repadapter": ("luogen1996/RepAdapter", "360992fc2a36f069fd168754f14bc1986d869a8f"),
        "hydra": ("extremebird/Hydra", "4138457859666d49b9ca9e45473d8570586670bb"),
    ]
    static let vpetlRepo = "synbol/Parameter-Efficient-Transfer-Learning-Benchmark"
    static let vpetlCommit = "c188fad2930fa2d1c07a8a64848427fd24ce6006"

    /// A method's official source: repository, commit and the format its importer reads.
    public struct Pin: Sendable, Equatable {
        public var repo: String, commit: String, format: String
    }

    /// Further official sources of a method whose recipes follow more than one repository (BitFit: KMnP/vpt's
    /// `tinytl-bias` for VTAB/HTA, V-PETL Bench's run_vit_bitfit.sh for its FGVC row; `linear` and `full` on ResNets:
    /// OPTML-Group/ILM-VP's experiments/cnn/linear_probing.py and full_finetune.py, beside KMnP/vpt's yacs).
    public static let alternatives: [String: [Pin]] = [
        "bias": [Pin(repo: vpetlRepo, commit: vpetlCommit, format: "vpetl")],
        "linear": [Pin(repo: "OPTML-Group/ILM-VP", commit: "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223", format: "argparse")],
        "full": [Pin(repo: "OPTML-Group/ILM-VP", commit: "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223", format: "argparse")],
    ]

    /// Every official source of `method`, the default (`pinned`) first.
    public static func pins(_ method: String) -> [Pin] {
        guard let p = pinned[method], let f = OfficialMapping.formatOf(method) else { return [] }
        return [Pin(repo: p.repo, commit: p.commit, format: f)] + (alternatives[method] ?? [])
    }

    /// The source `file` is read as: `repo` when given; else the default, or, for a method with several sources, the one
    /// whose format fits the file (a yacs .yaml vs a script or .py entry point).
    public static func pin(_ method: String, repo: String? = nil, file: String? = nil) throws -> Pin {
        let all = pins(method)
        guard !all.isEmpty else { throw MappingError("no importer for method '\(method)' (known: \(pinned.keys.sorted().joined(separator: ", ")))") }
        if let repo {
            guard let p = all.first(where: { $0.repo == repo }) else {
                throw MappingError("no importer for method '\(method)' from \(repo) (known: \(all.map(\.repo).joined(separator: ", ")))")
            }
            return p
        }
        if all.count > 1, let file, all[0].format == "yacs", !file.hasSuffix(".yaml"), let other = all.dropFirst().first(where: { $0.format != "yacs" }) {
            return other
        }
        return all[0]
    }

    /// Every official source of `method` as (repo, commit, format), the default first (the tuple form of `pins`).
    public static func sources(_ method: String) -> [(repo: String, commit: String, format: String)] {
        pins(method).map { ($0.repo, $0.commit, $0.format) }
    }

    /// The official settings of `file` + `args` for `method`, plus keys the official reader itself skips. `format`
    /// picks among a method's sources (default: its first, `pinned`).
    /// `displayPath` is the file's path inside the official repository (used in every source).
    /// - yacs: `args` are `KEY VALUE` pairs (train.py opts);
    /// - colon (DA-VPT): `args` are params.py flags; the config file is applied after them and wins;
    /// - argparse: `file` is an `sh/*.sh` script (its python command) or the `.py` entry point itself; `args` follow.
    /// - vpetl (V-PETL Bench): a `scripts/run_vit_*.sh` script (one command per dataset: `dataset=NAME` picks it) or the
    ///   `train/train_model_*.py` entry point and its flags; then the `configs/model_lora/<task>/<dataset>.yaml` the script
    ///   reads, found beside the script's folder;
    /// - petl-yaml (FacT, RepAdapter, Hydra): the `.py` entry point and its flags, then the per-task
    ///   `configs/…/<dataset>.yaml` it loads (`get_config`), found beside the entry point, each key read as `config['key']`;
    /// - timm (SSF): a `train_scripts/**/train_ssf.sh` (its torch.distributed.launch process count included) or `train.py`.
    public static func settings(method: String, file: URL, displayPath: String, args: [String], format: String? = nil) throws -> (OfficialSettings, [NoEffectKey]) {
        guard let format = format ?? OfficialMapping.formatOf(method) else {
            throw MappingError("no importer for method '\(method)' (known: \(pinned.keys.sorted().joined(separator: ", ")))")
        }
        switch format {
        case "vpetl":
            return (try vpetlSettings(method: method, file: file, displayPath: displayPath, args: args), [])
        case "timm":
            return (try timmSettings(file: file, displayPath: displayPath, args: args), [])
        case "petl-yaml":
            return (try petlYamlSettings(method: method, file: file, displayPath: displayPath, args: args), [])
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
    /// `repo` picks the source of a method with several (see `pin`); `format` names the source by its format instead.
    public static func run(method: String, file: URL, displayPath: String, args: [String], repo: String? = nil, format: String? = nil) throws -> ImportResult {
        let format = try format ?? pin(method, repo: repo, file: file.path).format
        let (s, notes) = try settings(method: method, file: file, displayPath: displayPath, args: args, format: format)
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
            } else if !v.source.hasSuffix("(default)") || Recipe.notImplemented[v.key] != nil {
                // An official default of a setting the trainer does not implement (SSF's --reprob 0.25) still differs.
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

extension OfficialImporter {
    /// The V-PETL Bench training script of each method it imports for.
    public static let vpetlScripts = ["adaptformer": "train/train_model_adapter.py", "lora": "train/train_model_lora.py", "bias": "train/train_model_bitfit.py"]

    static func vpetlSettings(method: String, file: URL, displayPath: String, args: [String]) throws -> OfficialSettings {
        guard let script = vpetlScripts[method] else { throw MappingError("no V-PETL Bench importer for method '\(method)'") }
        let parser = ArgParser.vpetl(script)
        var s: OfficialSettings
        if file.pathExtension == "sh" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                throw ImportError(file: displayPath, problems: ["file missing or unreadable (\(file.path))"])
            }
            var rest = args, bindings: [String: String] = [:]
            while let a = rest.first, !a.hasPrefix("-"), let eq = a.firstIndex(of: "=") {
                bindings[String(a[..<eq])] = String(a[a.index(after: eq)...]); rest.removeFirst()
            }
            let (line, _, cmd) = try ShellCommand.selectedCommand(text, file: displayPath, bindings: bindings)
            s = try parser.parse(cmd + rest, source: "\(displayPath):\(line)" + (rest.isEmpty ? "" : " + command line"))
        } else if file.pathExtension == "py" {
            s = try parser.parse(args, source: displayPath + (args.isEmpty ? "" : " + command line"))
        } else {
            throw ImportError(file: displayPath, problems: ["a V-PETL Bench import takes a scripts/run_vit_*.sh script or the train/train_model_*.py entry point followed by its flags"])
        }
        // get_config('model_lora', args.task, args.dataset): configs/ beside scripts/ and train/ (ImageClassification/).
        guard case .string(let task)? = s["task"]?.value, case .string(let dataset)? = s["dataset"]?.value else {
            throw ImportError(file: displayPath, problems: ["--task and --dataset name the config file; both must be strings"])
        }
        let rel = "configs/model_lora/\(task)/\(dataset).yaml"
        let root = file.deletingLastPathComponent().deletingLastPathComponent()
        let shownRoot = (displayPath as NSString).deletingLastPathComponent as NSString
        let shown = shownRoot.deletingLastPathComponent.isEmpty ? rel : shownRoot.deletingLastPathComponent + "/" + rel
        try VPETLConfig.apply(file: root.appendingPathComponent(rel), displayPath: shown, to: &s)
        return s
    }
}

extension OfficialImporter {
    /// SSF's `train_scripts/**/train_ssf.sh` (`python -m torch.distributed.launch --nproc_per_node=N … train.py DATA …`) or
    /// `train.py` itself with its arguments: timm's parser, plus the launcher's process count as `nproc_per_node` (each
    /// process takes --batch-size images; DDP averages the gradients, so the effective batch is their product).
    static func timmSettings(file: URL, displayPath: String, args: [String]) throws -> OfficialSettings {
        var s: OfficialSettings, launcher: [String] = [], at = displayPath
        if file.pathExtension == "sh" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                throw ImportError(file: displayPath, problems: ["file missing or unreadable (\(file.path))"])
            }
            var rest = args, bindings: [String: String] = [:]
            while let a = rest.first, !a.hasPrefix("-"), let eq = a.firstIndex(of: "=") {
                bindings[String(a[..<eq])] = String(a[a.index(after: eq)...]); rest.removeFirst()
            }
            let (line, l, cmd) = try ShellCommand.selectedCommand(text, file: displayPath, bindings: bindings)
            launcher = l; at = "\(displayPath):\(line)"
            s = try ArgParser.ssf.parse(cmd + rest, source: at + (rest.isEmpty ? "" : " + command line"))
        } else if file.pathExtension == "py" {
            s = try ArgParser.ssf.parse(args, source: displayPath + (args.isEmpty ? "" : " + command line"))
        } else {
            throw ImportError(file: displayPath, problems: ["a timm/SSF import takes a train_scripts/**/*.sh script or train.py followed by its arguments"])
        }
        guard !launcher.isEmpty else {
            s.set("nproc_per_node", .int(1), source: "python train.py without a launcher: one process")
            return s
        }
        guard launcher.count >= 2, launcher[0] == "-m", launcher[1] == "torch.distributed.launch" else {
            throw ImportError(file: at, problems: ["'python \(launcher.joined(separator: " "))': only `python -m torch.distributed.launch …` launches are read"])
        }
        s.set("nproc_per_node", .int(1), source: "torch.distributed.launch default")
        var i = 2, problems: [String] = []
        while i < launcher.count {
            var name = launcher[i], value: String?
            i += 1
            if let eq = name.firstIndex(of: "=") { value = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
            if value == nil, i < launcher.count, !launcher[i].hasPrefix("-") { value = launcher[i]; i += 1 }
            switch name {
            case "--nproc_per_node":
                guard let v = value, let n = Int(v), n >= 1 else { problems.append("'--nproc_per_node' needs a positive int"); continue }
                s.set("nproc_per_node", .int(n), source: "\(at) launcher `--nproc_per_node=\(v)`")
            case "--master_port", "--master_addr":
                s.set(String(name.dropFirst(2)), .string(value ?? ""), source: "\(at) launcher `\(name)=\(value ?? "")`")
            default:
                problems.append("launcher flag '\(name)': not read by this importer (only --nproc_per_node, --master_port, --master_addr on one node)")
            }
        }
        if !problems.isEmpty { throw ImportError(file: at, problems: problems) }
        return s
    }
}

extension OfficialImporter {
    /// The argparse parser of each method read in the `petl-yaml` format, and the config file its entry point loads for
    /// the parsed flags (path relative to the entry point's folder).
    static let petlYaml: [String: (parser: ArgParser, config: @Sendable (OfficialSettings) throws -> String)] = [
        // FacT/fact_tk.py:139-141 get_config(dataset_name): './configs/tk/%s.yaml' % dataset_name.
        "fact": (ArgParser.factTK, { s in
            guard case .string(let d)? = s["dataset"]?.value else { throw MappingError("--dataset names the config file; it must be a string") }
            return "configs/tk/\(d).yaml"
        }),
        // RepAdapter utils.py:70-77 get_config(method, dataset, few_shot): './configs/%s[_few_shot]/%s.yaml'.
        "repadapter": (ArgParser.repadapter, { s in
            guard case .string(let m)? = s["method"]?.value, case .string(let d)? = s["dataset"]?.value else {
                throw MappingError("--method and --dataset name the config file; both must be strings")
            }
            guard ["repattn", "repblock"].contains(m) else { throw MappingError("'method' = \(m): invalid choice (argparse choices: repattn, repblock, train.py:77)") }
            return "configs/\(m)\(s["few-shot"]?.value == .bool(true) ? "_few_shot" : "")/\(d).yaml"
        }),
        // Hydra vtab1k/utils.py:58-62 get_config(method, dataset): './configs/%s/%s.yaml'.
        "hydra": (ArgParser.hydra, { s in
            guard case .string(let m)? = s["method"]?.value, case .string(let d)? = s["dataset"]?.value else {
                throw MappingError("--method and --dataset name the config file; both must be strings")
            }
            guard m == "hydra_both" else { throw MappingError("'method' = \(m): invalid choice (argparse choices: hydra_both, vtab1k/train.py:59)") }
            return "configs/\(m)/\(d).yaml"
        }),
    ]

    /// The flag names of the official parser `method` is read with in `format` (argparse and petl-yaml formats; empty otherwise).
    public static func officialFlags(_ method: String, format: String) -> Set<String> {
        let parser = format == "petl-yaml" ? petlYaml[method]?.parser : format == "argparse" ? argParser(method, format: format) : nil
        return Set(parser?.specs.map(\.name) ?? [])
    }

    /// FacT, RepAdapter and Hydra: argparse over the entry point's flags, then the per-task yaml its `get_config` loads
    /// (yaml.FullLoader, flat `key: value`). The entry point itself is not read (its parser is data here); the yaml is.
    static func petlYamlSettings(method: String, file: URL, displayPath: String, args: [String]) throws -> OfficialSettings {
        guard let entry = petlYaml[method] else { throw MappingError("no argparse + yaml importer for method '\(method)'") }
        guard file.pathExtension == "py" else {
            throw ImportError(file: displayPath, problems: ["a \(method) import takes the .py entry point (\(entry.parser.file)) followed by its flags"])
        }
        var s = try entry.parser.parse(args, source: displayPath + (args.isEmpty ? "" : " + command line"))
        let rel: String
        do { rel = try entry.config(s) } catch { throw ImportError(file: displayPath, problems: ["\(error)"]) }
        let dir = (displayPath as NSString).deletingLastPathComponent
        let shown = dir.isEmpty ? rel : dir + "/" + rel
        do {
            try VPETLConfig.apply(file: file.deletingLastPathComponent().appendingPathComponent(rel), displayPath: shown, to: &s,
                                  missing: "\(entry.parser.file) loads \(rel) for the command's flags")
        } catch {
            // A flag selecting code that is not implemented (RepAdapter --few-shot → configs/repblock_few_shot) is named
            // first; otherwise the missing config is the problem.
            _ = try OfficialMapping.named(method, format: "petl-yaml").apply(s, file: displayPath)
            throw error
        }
        return s
    }
}
