// The long results CSV shared by `bench report` (<out>/<table>.csv) and baselines (results/baselines/*.csv):
// `method,dataset,backbone,seeds,mean,std,reported,delta,selection,variant`, one row per cell. A baseline may start with
// `# key: value` lines that record how it was made; `# blas_core: Haswell` names the OpenBLAS kernel of its runs
// (`openblas_get_corename()`), since a different kernel sums floats in another order and moves the numbers.
import Foundation
import Tabular

/// One row of the long results CSV.
public struct BaselineCell: Sendable, Equatable {
    public var method, dataset, backbone: String
    /// Seeds the mean is over (empty for reported-only rows).
    public var seeds: [Int]
    public var mean: Double?
    /// Sample standard deviation (n − 1); nil for one seed.
    public var std: Double?
    public var reported: Double?
    public var delta: Double? { mean.flatMap { m in reported.map { m - $0 } } }
    /// `official:<rule>` or `clean:<rule>` (rules joined by `;` when seeds differ).
    public var selection: String
    /// Run variants (`official`, `fixed`) joined by `;`.
    public var variant: String

    public init(method: String, dataset: String, backbone: String, seeds: [Int], mean: Double?, std: Double?,
                reported: Double?, selection: String, variant: String) {
        self.method = method; self.dataset = dataset; self.backbone = backbone; self.seeds = seeds; self.mean = mean
        self.std = std; self.reported = reported; self.selection = selection; self.variant = variant
    }

    /// `method/dataset/backbone`, how check lists a cell.
    public var id: String { "\(method)/\(dataset)/\(backbone)" }
}

/// A baseline file: its cells and the `# key: value` lines above its header.
public struct BaselineDocument: Sendable, Equatable {
    public var cells: [BaselineCell]
    public var notes: [String: String]
    /// The OpenBLAS core(s) the baseline's runs used (`;`-joined when several), nil when the file does not say.
    public var blasCores: [String]? {
        notes["blas_core"].map { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }
}

/// Reads and writes the long results CSV through Tabular (libcsv).
public enum BaselineFile {
    public static let header = ["method", "dataset", "backbone", "seeds", "mean", "std", "reported", "delta", "selection", "variant"]

    static func num(_ v: Double?) -> String { v.map { Format.fixed($0, 4) } ?? "" }

    /// The CSV text; `blasCores` (the runs' OpenBLAS cores) go into a `# blas_core:` line above the header.
    public static func text(_ cells: [BaselineCell], blasCores: [String] = []) -> String {
        let note = blasCores.isEmpty ? "" : "# blas_core: \(blasCores.joined(separator: ";"))\n"
        return note + CSVWriter.text(header: header, rows: cells.map { c in
            [c.method, c.dataset, c.backbone, c.seeds.map(String.init).joined(separator: ";"), num(c.mean), num(c.std),
             num(c.reported), num(c.delta), c.selection, c.variant]
        })
    }

    public static func write(_ cells: [BaselineCell], to path: String, blasCores: [String] = []) throws {
        let url = URL(fileURLWithPath: path)
        try RunStore.writeAtomically(Data(text(cells, blasCores: blasCores).utf8), to: url)
    }

    public static func read(file: String) throws -> [BaselineCell] { try readDocument(file: file).cells }

    /// Cells and notes. Leading `#` lines are notes (`# key: value`; other text is a free comment); they are blanked
    /// before libcsv reads the rest, so error lines still count from the top of the file.
    public static func readDocument(file: String) throws -> BaselineDocument {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ReportError.badBaseline(file: file, line: 0, message: "baseline file does not exist")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ReportError.badBaseline(file: file, line: 0, message: "cannot read file")
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var notes: [String: String] = [:]
        for i in lines.indices {
            guard lines[i].hasPrefix("#") else { break }
            let body = lines[i].dropFirst()
            if let colon = body.firstIndex(of: ":") {
                let key = body[..<colon].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty && !key.contains(" ") { notes[key] = body[body.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines) }
            }
            lines[i] = ""
        }
        let all = try CSVReader.parse(lines.joined(separator: "\n"), file: file)
        guard let first = all.first else { throw ReportError.badBaseline(file: file, line: 1, message: "expected a header row, found an empty file") }
        let hdr = first.fields
        guard hdr == header else {
            throw ReportError.badBaseline(file: file, line: first.line, message: "expected header \(header.joined(separator: ",")), found \(hdr.joined(separator: ","))")
        }
        let records = Array(all.dropFirst())
        for r in records where r.fields.count != header.count {
            throw ReportError.badBaseline(file: file, line: r.line, message: "expected \(header.count) fields, found \(r.fields.count)")
        }
        let cells = try records.map { r in
            let f = r.fields
            func number(_ i: Int) throws -> Double? {
                if f[i].isEmpty { return nil }
                guard let v = Double(f[i]), v.isFinite else {
                    throw ReportError.badBaseline(file: file, line: r.line, message: "expected a number or empty in '\(header[i])', found '\(f[i])'")
                }
                return v
            }
            let seeds = try f[3].split(separator: ";").map { s -> Int in
                guard let v = Int(s) else {
                    throw ReportError.badBaseline(file: file, line: r.line, message: "expected seeds like 0;1;2, found '\(f[3])'")
                }
                return v
            }
            return BaselineCell(method: f[0], dataset: f[1], backbone: f[2], seeds: seeds, mean: try number(4),
                                std: try number(5), reported: try number(6), selection: f[8], variant: f[9])
        }
        return BaselineDocument(cells: cells, notes: notes)
    }
}
