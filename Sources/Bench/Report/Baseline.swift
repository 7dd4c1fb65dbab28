// The long results CSV shared by `bench report` (<out>/<table>.csv) and baselines (results/baselines/*.csv):
// `method,dataset,backbone,seeds,mean,std,reported,delta,selection,variant`, one row per cell.
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

/// Reads and writes the long results CSV through Tabular (libcsv).
public enum BaselineFile {
    public static let header = ["method", "dataset", "backbone", "seeds", "mean", "std", "reported", "delta", "selection", "variant"]

    static func num(_ v: Double?) -> String { v.map { Format.fixed($0, 4) } ?? "" }

    public static func text(_ cells: [BaselineCell]) -> String {
        CSVWriter.text(header: header, rows: cells.map { c in
            [c.method, c.dataset, c.backbone, c.seeds.map(String.init).joined(separator: ";"), num(c.mean), num(c.std),
             num(c.reported), num(c.delta), c.selection, c.variant]
        })
    }

    public static func write(_ cells: [BaselineCell], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try RunStore.writeAtomically(Data(text(cells).utf8), to: url)
    }

    public static func read(file: String) throws -> [BaselineCell] {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ReportError.badBaseline(file: file, line: 0, message: "baseline file does not exist")
        }
        let (hdr, records) = try CSVReader.read(file: file)
        guard hdr == header else {
            throw ReportError.badBaseline(file: file, line: 1, message: "expected header \(header.joined(separator: ",")), found \(hdr.joined(separator: ","))")
        }
        return try records.map { r in
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
    }
}
