// The dataset abstraction every reader and the built-in generators implement, and the split names.

/// A finite, indexable labelled image set (one split of one dataset). Must be safe to read from
/// several threads at once: the loader decodes samples concurrently.
public protocol ImageDataset: Sendable {
    /// Suite dataset id, e.g. `dtd`, `cub200`, `dsprites_loc`.
    var id: String { get }
    /// Split name, e.g. `train800`, `test`.
    var split: String { get }
    var numClasses: Int { get }
    var count: Int { get }
    /// Label of sample `i` in 0..<numClasses (cheap; no decoding).
    func label(_ i: Int) -> Int
    /// Decoded RGB image of sample `i`.
    func image(_ i: Int) throws -> Image
}

/// The four VTAB-1k splits; FGVC uses `train`, `val`, `test`.
public enum VTABSplit: String, CaseIterable, Codable, Sendable {
    case train800, val200, train800val200, test
}
