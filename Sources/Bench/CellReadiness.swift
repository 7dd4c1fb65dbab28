// Whether a cell can start: its method, backbone, dataset reader and recipe must all resolve — the recipe loads,
// its pipeline exists and the method builds with the recipe's options on the backbone's architecture. Only data
// and weight files may be missing from a `runnable` cell. `bench list`, `bench tables`, `bench run` and
// `bench reproduce` all classify through this one function.
import Backbones
import Data
import Engine
import Foundation
import Methods
import PaperTables
import Random

/// One piece a cell lacks.
public enum CellNeed: Equatable, Sendable, CustomStringConvertible {
    /// No implementation of the method.
    case method(String)
    /// The backbone id is unknown, or the method does not run on its architecture.
    case backbone(String)
    /// No reader for the dataset.
    case reader(String)
    /// No recipe file, or one that does not load or that the method rejects.
    case recipe(String)

    public var description: String {
        switch self {
        case .method(let s), .backbone(let s), .reader(let s), .recipe(let s): return s
        }
    }

    var status: CellReadiness.Status {
        switch self {
        case .method: return .needsMethod
        case .backbone: return .needsBackbone
        case .reader: return .needsReader
        case .recipe: return .needsRecipe
        }
    }
}

/// What a cell has and lacks.
public struct CellReadiness: Sendable {
    /// `runnable`, else named after the first missing piece in the order method, backbone, reader, recipe.
    public enum Status: String, CaseIterable, Sendable, Comparable {
        case runnable
        case needsMethod = "needs-method"
        case needsBackbone = "needs-backbone"
        case needsReader = "needs-reader"
        case needsRecipe = "needs-recipe"
        public static func < (a: Status, b: Status) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    public var key: CellKey
    /// Every missing piece, in the order method, backbone, reader, recipe.
    public var needs: [CellNeed]
    public var recipeFile: URL?
    public var status: Status { needs.first?.status ?? .runnable }
    public var runnable: Bool { needs.isEmpty }
    /// `cell X cannot start: …; …` — every missing piece in one line.
    public var message: String {
        "cell \(key.id) cannot start (\(status.rawValue)): " + needs.map(\.description).joined(separator: "; ")
    }
}

/// Classifies cells; remembers method builds so a table's cells cost one build per (method, backbone, options).
public final class CellClassifier: @unchecked Sendable {
    let root: URL
    private var builds: [String: String?] = [:]
    /// (method, architecture kind) → whether the method rejects that architecture itself.
    private var architectureRejects: [String: Bool] = [:]
    private var probes: [String: BackboneModel] = [:]

    public init(root: URL = CellCatalog.root()) { self.root = root }

    /// Method id → what paper-tables/method-ids.csv says about its authors' code (`codeEvidence` of its notes, distinct,
    /// `; `-joined), for the message of a method the suite lacks. An unreadable file gives none: the paper-tables checks
    /// report it themselves.
    private lazy var methodCodeNotes: [String: String] = {
        let file = root.appendingPathComponent("paper-tables/method-ids.csv").path
        guard let ids = try? MethodId.load(path: file) else { return [:] }
        var notes: [String: [String]] = [:]
        for m in ids.values.sorted(by: { ($0.paper, $0.label) < ($1.paper, $1.label) }) {
            guard let e = Self.codeEvidence(m.notes), !notes[m.id, default: []].contains(e) else { continue }
            notes[m.id, default: []].append(e)
        }
        return notes.mapValues { $0.joined(separator: "; ") }
    }()

    /// The part of a method-ids.csv note about the authors' code: from "no official code" or "official code" to the end
    /// (e.g. "official code: owner/repo@commit files; see paper-tables/README.md"); nil for a note that says neither.
    static func codeEvidence(_ note: String) -> String? {
        guard let r = note.range(of: "no official code") ?? note.range(of: "official code") else { return nil }
        return String(note[r.lowerBound...])
    }

    /// Datasets of a paper table that no reader takes yet, with what stands in the way.
    static let readerGaps: [String: String] = [
        // OPTML-Group/ILM-VP @ 84ca042 data/abide.py:7-24, data/prepare_data.py:192-210; the file comes from
        // lsa-pucrs/acerta-abide prepare_data.py:96-128 (h5py, `patients/<FILE_ID>/cc200`).
        "ilm13/abide": "ILM-VP reads acerta-abide's abide.hdf5 with h5py: patients/<FILE_ID>/cc200 holds 19,900 float64 "
            + "correlations, made a 200×200 upper-triangular matrix, min-max normalised and repeated to 3 float channels, labels "
            + "2 − DX_GROUP from Phenotypic_V1_0b_preprocessed1.csv, split by sklearn's stratified train_test_split(test_size=0.1, "
            + "random_state=1); there is no HDF5 reader (libhdf5 is not an allowed library, none of our own yet) and the loaders "
            + "take 8-bit images, not float matrices",
    ]

    public func classify(_ key: CellKey) -> CellReadiness {
        var needs: [CellNeed] = []
        let hasMethod = methodRegistry[key.method] != nil
        if !hasMethod {
            // method-ids.csv says where the authors' code is, or that none was found (issue 24's evidence).
            let note = methodCodeNotes[key.method].map { " (method-ids.csv: \($0))" } ?? ""
            needs.append(.method("method '\(key.method)' is not implemented\(note)"))
        }
        let spec = BackboneZoo.specs[key.backbone]
        if spec == nil {
            needs.append(.backbone("backbone '\(key.backbone)' is not in the zoo (known: \(BackboneZoo.specs.keys.sorted().joined(separator: ", ")))"))
        }
        if key.benchmark == "mini" {
            if BuiltinTask(rawValue: key.dataset) == nil {
                needs.append(.reader("no built-in task '\(key.dataset)' (known: \(CellCatalog.miniTasks.map(\.rawValue).joined(separator: ", ")))"))
            }
        } else {
            let id = CellCatalog.registryId(benchmark: key.benchmark, dataset: key.dataset)
            if datasetRegistry[id] == nil {
                needs.append(.reader("no dataset reader for '\(id)'" + (Self.readerGaps[id].map { " (\($0))" } ?? "")))
            }
        }
        let recipeURL = CellCatalog.recipeFile(benchmark: key.benchmark, method: key.method, dataset: key.dataset, backbone: key.backbone, root: root)
        if recipeURL == nil {
            // Without a recipe, the method's defaults still tell whether it runs on this architecture at all.
            if hasMethod, let spec, let failure = build(key.method, spec, [:]), bareFailureIsArchitecture(key.method, spec) {
                needs.append(.backbone("method '\(key.method)' does not run on \(key.backbone): \(failure)"))
            }
            needs.append(.recipe("no recipe at recipes/\(key.benchmark)/\(key.method).yaml or recipes/\(key.benchmark)/\(key.method)/\(key.dataset).yaml (or .../\(key.method)/\(key.backbone)/\(key.dataset).yaml)"))
        } else if let url = recipeURL {
            do {
                let recipe = try Recipe.load(url)
                let rel = url.path.replacingOccurrences(of: root.path + "/", with: "")
                if recipe.method != key.method {
                    needs.append(.recipe("\(rel) is a recipe for method '\(recipe.method)'"))
                }
                if let b = recipe.backbone, b != key.backbone {
                    needs.append(.recipe("\(rel) is written for backbone '\(b)'"))
                }
                do { _ = try Pipeline.make(recipe.pipeline) } catch { needs.append(.recipe("\(rel): \(error)")) }
                if hasMethod, let spec {
                    if let failure = build(key.method, spec, recipe.options) {
                        // The same failure without the recipe's options: the architecture, not the recipe.
                        if build(key.method, spec, [:]) != nil && bareFailureIsArchitecture(key.method, spec) {
                            needs.append(.backbone("method '\(key.method)' does not run on \(key.backbone): \(failure)"))
                        } else {
                            needs.append(.recipe("\(rel): method '\(key.method)' rejects the recipe: \(failure)"))
                        }
                    }
                }
            } catch {
                needs.append(.recipe("\(error)"))
            }
        }
        needs.sort { $0.status < $1.status }
        return CellReadiness(key: key, needs: needs, recipeFile: recipeURL)
    }

    /// Whether the method fails on this architecture with its default options too (then the architecture is the
    /// problem: `adapter needs a ViT backbone`); a method whose defaults are themselves incomplete counts as a recipe
    /// problem.
    private func bareFailureIsArchitecture(_ method: String, _ spec: BackboneSpec) -> Bool {
        let key = "\(method)|\(Self.kind(spec))"
        if let cached = architectureRejects[key] { return cached }
        // Methods that do run on one of the other kinds with default options reject this kind for its architecture.
        let other = [BackboneZoo.specs["vit-mini"]!, BackboneZoo.specs["resnet-mini"]!, BackboneZoo.specs["swin-b-in22k"]!]
            .filter { Self.kind($0) != Self.kind(spec) }
        let runsElsewhere = other.contains { build(method, $0, [:]) == nil }
        architectureRejects[key] = runsElsewhere
        return runsElsewhere
    }

    /// Builds the method on a small backbone of the spec's architecture (same depth and structure, narrow widths,
    /// random weights); returns the error text or nil.
    private func build(_ method: String, _ spec: BackboneSpec, _ options: MethodOptions) -> String? {
        // Backbones of one architecture (IN-21k, MAE and MoCo v3 ViT-B/16) share their builds; a method that reads the
        // backbone id (GateVPT's pre-training family) builds once per backbone.
        let family = method == "gatevpt" ? "|\(spec.id)" : ""
        let key = "\(method)\(family)|\(spec.architecture)|\(options.keys.sorted().map { "\($0)=\(options[$0]!)" }.joined(separator: ","))"
        if let cached = builds[key] { return cached }
        var failure: String?
        do {
            _ = try makeMethod(method, setup: MethodSetup(backbone: probe(spec), numClasses: 10, options: options,
                                                          rng: RandomStream(0, 0xC311), backboneId: spec.id))
        } catch { failure = "\(error)" }
        builds[key] = failure
        return failure
    }

    /// One stand-in per architecture, shared by the builds (a build only reads it: it never runs a step).
    public func probe(_ spec: BackboneSpec) -> BackboneModel {
        let key = "\(spec.architecture)"
        if let p = probes[key] { return p }
        let p = Self.probeBackbone(spec)
        probes[key] = p
        return p
    }

    static func kind(_ spec: BackboneSpec) -> String {
        switch spec.architecture { case .vit: return "vit"; case .resnet: return "resnet"; case .swin: return "swin" }
    }

    /// A stand-in for the named backbone: its input size, width, depth and stage structure (methods reshape by
    /// them: InsVP's token map, SA²VP's cross-attention), with a narrow MLP and one block per ResNet stage — the parts
    /// no method's structure depends on — so that a table's builds stay cheap.
    static func probeBackbone(_ spec: BackboneSpec) -> BackboneModel {
        switch spec.architecture {
        case .vit(let c):
            if c.dim <= 128 { return .vit(ViT(c)) }
            return .vit(ViT(ViTConfig(imageSize: c.imageSize, patchSize: c.patchSize, channels: c.channels, dim: c.dim, depth: c.depth,
                                      heads: c.heads, mlpDim: 32, numClasses: c.numClasses, preLogits: c.preLogits, layerNormEps: c.layerNormEps)))
        case .resnet(let c, _):
            var small = c
            small.layers = c.layers.map { _ in 1 }
            return .resnet(ResNet(small))
        case .swin(let c):
            var small = c
            small.mlpRatio = 1
            return .swin(Swin(small))
        }
    }
}
