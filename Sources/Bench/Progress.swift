// Progress display: a live line redrawn with \r on a terminal, plain periodic lines otherwise (Slurm, CI).
import Foundation

/// Reports training progress to stderr.
public final class ProgressReporter {
    let isTTY = isatty(STDERR_FILENO) != 0
    let label: String
    var lastPrint = Date.distantPast
    public var quiet = false

    public init(label: String) { self.label = label }

    /// One update; throttled to 4 Hz on a terminal and to every 10 s otherwise.
    public func update(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Float, imagesPerSecond: Double, etaSeconds: Double) {
        guard !quiet else { return }
        let now = Date()
        let interval = isTTY ? 0.25 : 10
        guard now.timeIntervalSince(lastPrint) >= interval || step == steps else { return }
        lastPrint = now
        let frac = Double(epoch * steps + step) / Double(max(1, epochs * steps))
        let width = 20, filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "%@ [%@] epoch %d/%d step %d/%d loss %.4f %.0f img/s ETA %@", label, bar, epoch + 1, epochs,
                          step, steps, loss, imagesPerSecond, Self.duration(etaSeconds))
        if isTTY { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
        else { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// A one-off line about the run (what it caches, what it skips), prefixed with the run's label.
    public func note(_ message: String) {
        guard !quiet else { return }
        if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data((label + ": " + message + "\n").utf8))
    }

    /// Ends the live line and prints a message.
    public func finish(_ message: String) {
        guard !quiet else { return }
        if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s)
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t % 3600 / 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }
}
