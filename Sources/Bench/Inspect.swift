// `bench inspect FILE`: what a checkpoint holds and which named backbone it is.
import Backbones
import Checkpoints
import Foundation

public enum Inspect {
    /// A printable report: format, tensor count, parameters, and the backbone it matches with missing/unexpected keys.
    public static func report(_ url: URL) throws -> String {
        let raw = try loadCheckpoint(url)
        var lines = ["\(url.path)", "  \(raw.summary)"]
        let ck = raw.unwrapped()
        // ViT ids: try each naming with the zoo's unwrapping/prefix rules.
        var matches: [String] = []
        for id in BackboneZoo.specs.keys.sorted() {
            guard let spec = BackboneZoo.specs[id], case .vit(let config) = spec.architecture else { continue }
            var c = spec.unwrapKeys.isEmpty ? raw : raw.unwrapped(keys: spec.unwrapKeys)
            if let problem = spec.identity(c) { lines.append("  not \(id): \(problem)"); continue }
            if !spec.stripPrefixes.isEmpty, let s = try? c.strippingPrefixes(spec.stripPrefixes) { c = s }
            guard let naming = spec.naming ?? ViTNaming.detect(c.names) else { continue }
            let vit = ViT(config)
            let wanted = Set(vit.officialNames(naming).values.flatMap { $0 })
            let have = Set(c.names)
            let missing = wanted.subtracting(have).sorted()
            let unexpected = have.subtracting(wanted).sorted()
            // A match needs every backbone tensor (a head or pre-logits layer may be absent).
            let essential = missing.filter { !$0.contains("head") && !$0.contains("pre_logits") }
            guard essential.isEmpty, wanted.intersection(have).count > 0 else { continue }
            var shapesOK = true
            for (p, names) in zip(vit.parameters, vit.parameters.map { vit.officialNames(naming)[$0.name] ?? [] }) where names.count == 1 {
                if let t = c.tensors[names[0]], t.elementCount != p.count, !p.name.hasPrefix("head"), p.name != "pos_embed" { shapesOK = false }
            }
            guard shapesOK else { continue }
            matches.append("  matches \(id) (\(naming.rawValue) naming): missing \(missing.isEmpty ? "none" : missing.joined(separator: ", ")); unexpected \(unexpected.isEmpty ? "none" : unexpected.prefix(10).joined(separator: ", ") + (unexpected.count > 10 ? " … (\(unexpected.count))" : ""))")
        }
        for id in BackboneID.allCases {
            if (try? id.verify(ck)) != nil { matches.append("  matches \(id.rawValue) (\(id.fileDescription))") }
        }
        lines += matches.isEmpty ? ["  matches no named backbone (backbone ids: \(BackboneZoo.specs.keys.sorted().joined(separator: ", ")); CNN/Swin ids: \(BackboneID.allCases.map(\.rawValue).joined(separator: ", ")))"] : matches
        return lines.joined(separator: "\n")
    }
}
