// `bench selfcheck`: trains the engine's toy attention net on its built-in task and reports accuracy.
import Engine
import Foundation

/// Result of the built-in self-check.
public struct SelfCheckResult: Sendable {
    public var accuracy: Double
    public var firstLoss: Float
    public var lastLoss: Float
    public var seconds: Double
    public var passed: Bool { accuracy > 0.95 }
}

public enum SelfCheck {
    /// Trains for `steps` steps, printing progress through `log`.
    public static func run(steps: Int = 300, log: @escaping (String) -> Void = { print($0) }) -> SelfCheckResult {
        log("vpt-bench self-check: \(MachineInfo.current().summary)")
        log("training a 1-block attention net on the built-in quadrant task (256 images, \(steps) AdamW steps)…")
        let start = Date()
        let r = TinyAttentionNet.train(steps: steps) { step, loss in
            if step % 50 == 0 { log(String(format: "  step %4d  loss %.4f", step, loss)) }
        }
        let result = SelfCheckResult(accuracy: r.accuracy, firstLoss: r.losses.first ?? .nan, lastLoss: r.losses.last ?? .nan,
                                     seconds: Date().timeIntervalSince(start))
        log(String(format: "train accuracy %.1f%%  (loss %.3f → %.3f)  in %.2f s  — %@", result.accuracy * 100,
                   result.firstLoss, result.lastLoss, result.seconds, result.passed ? "OK" : "FAILED (expected > 95%)"))
        return result
    }
}
