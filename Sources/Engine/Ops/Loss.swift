// Losses and similarity. logits [B, C]; labels [B]; soft targets [B, C].
import Foundation

extension Tensor {
    /// Mean cross-entropy with integer labels; label smoothing as PyTorch:
    /// loss_i = (1−ε)·(−log p_{y_i}) + ε·mean_c(−log p_c).
    public static func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing: Float = 0) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count, "crossEntropy: logits \(logits.shape), \(labels.count) labels")
        let c = logits.shape[1]
        let target = Tensor(repeating: labelSmoothing / Float(c), shape: logits.shape)
        for (i, y) in labels.enumerated() {
            precondition(y >= 0 && y < c, "label \(y) out of range 0..<\(c)")
            target.data[i * c + y] += 1 - labelSmoothing
        }
        return softTargetCrossEntropy(logits, target)
    }

    /// Mean over the batch of Σ_c −t_c · log softmax(x)_c (timm's SoftTargetCrossEntropy).
    public static func softTargetCrossEntropy(_ logits: Tensor, _ targets: Tensor) -> Tensor {
        precondition(logits.shape == targets.shape, "soft targets \(targets.shape) for logits \(logits.shape)")
        return (logits.logSoftmax() * targets).sum().scaled(-1 / Float(logits.shape[0]))
    }

    /// x / max(‖x‖₂, eps) along the last axis (F.normalize).
    public func l2Normalized(eps: Float = 1e-12) -> Tensor {
        let norm = (self * self).sum(axis: -1, keepDims: true).sqrt()
        return self / norm.clamped(eps, .greatestFiniteMagnitude)
    }

    /// F.cosine_similarity along the last axis: Σ a·b / √max(‖a‖²·‖b‖², eps²).
    public static func cosineSimilarity(_ a: Tensor, _ b: Tensor, eps: Float = 1e-8) -> Tensor {
        let dot = (a * b).sum(axis: -1)
        let na = (a * a).sum(axis: -1), nb = (b * b).sum(axis: -1)
        return dot / (na * nb).clamped(eps * eps, .greatestFiniteMagnitude).sqrt()
    }
}
