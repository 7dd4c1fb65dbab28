// SGD, Adam and AdamW with parameter groups, exactly as torch.optim computes them (fp32),
// plus gradient clipping. Optimiser state is keyed by parameter name so checkpoints are readable.
import Foundation

/// A set of parameters sharing lr and weight decay. `baseLR` is what schedules scale.
public struct ParamGroup {
    public var name: String
    public var params: [Parameter]
    public var lr: Float
    public var baseLR: Float
    public var weightDecay: Float

    public init(_ name: String = "default", params: [Parameter], lr: Float, weightDecay: Float = 0) {
        self.name = name; self.params = params; self.lr = lr; self.baseLR = lr; self.weightDecay = weightDecay
    }
}

/// Which update rule an optimiser applies.
public enum OptimizerKind: String, Codable, Sendable {
    case sgd, adam, adamw
}

/// Hyper-parameters beyond lr / weight decay.
public struct OptimizerConfig: Codable, Sendable, Equatable {
    public var kind: OptimizerKind
    public var momentum: Float = 0
    public var dampening: Float = 0
    public var nesterov: Bool = false
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8

    public init(kind: OptimizerKind, momentum: Float = 0, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.kind = kind; self.momentum = momentum; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
    }
}

/// One optimiser over parameter groups.
public final class Optimizer {
    public var groups: [ParamGroup]
    public let config: OptimizerConfig
    /// Per-parameter state buffers by name: SGD "momentum_buffer"; Adam "exp_avg", "exp_avg_sq". Kept as tensors and
    /// updated in place, so a step copies nothing (full fine-tuning of ViT-B holds 2 × 86M floats of Adam state).
    private var buffers: [String: [String: Tensor]] = [:]
    public private(set) var stepCount: [String: Int] = [:]

    /// A copy of the state buffers as arrays (for checkpoints).
    public var state: [String: [String: [Float]]] { buffers.mapValues { $0.mapValues(\.scalars) } }

    public init(_ config: OptimizerConfig, groups: [ParamGroup]) {
        self.config = config
        self.groups = groups
        var seen = Set<String>()
        for g in groups { for p in g.params { precondition(seen.insert(p.name).inserted, "parameter \(p.name) in two groups") } }
    }

    public var parameters: [Parameter] { groups.flatMap(\.params) }

    public func zeroGrad() { for p in parameters { p.value.grad = nil } }

    /// One update of every parameter that has a gradient.
    public func step() {
        withoutGrad {
            for g in groups {
                for p in g.params {
                    guard let grad = p.value.grad else { continue }
                    switch config.kind {
                    case .sgd: sgd(p, grad, g)
                    case .adam, .adamw: adam(p, grad, g, decoupled: config.kind == .adamw)
                    }
                }
            }
        }
    }

    /// The state buffer `key` of `p`, created zero-filled on first use (`created` tells which).
    private func buffer(_ p: Parameter, _ key: String) -> (Tensor, created: Bool) {
        if let t = buffers[p.name]?[key] { return (t, false) }
        let t = Tensor(zeros: [p.count])
        buffers[p.name, default: [:]][key] = t
        return (t, true)
    }

    /// torch.optim.SGD: d = g + wd·p; buf = μ·buf + (1−dampening)·d (buf = d on the first step); p −= lr·buf.
    private func sgd(_ p: Parameter, _ grad: Tensor, _ g: ParamGroup) {
        let n = p.count, x = p.value.data, gd = grad.data
        let wd = g.weightDecay, lr = g.lr, mu = config.momentum, damp = config.dampening, nesterov = config.nesterov
        @inline(__always) func d(_ i: Int) -> Float { wd != 0 ? gd[i] + wd * x[i] : gd[i] }
        if mu != 0 {
            let (buf, first) = buffer(p, "momentum_buffer")
            let b = buf.data
            for i in 0..<n {
                let di = d(i)
                b[i] = first ? di : mu * b[i] + (1 - damp) * di
                let u = nesterov ? di + mu * b[i] : b[i]
                x[i] -= lr * u
            }
        } else {
            for i in 0..<n { x[i] -= lr * d(i) }
        }
        stepCount[p.name, default: 0] += 1
    }

    /// torch.optim.Adam / AdamW (single-tensor path): m, v moments with bias correction,
    /// p −= (lr / bc1) · m / (√v / √bc2 + eps). AdamW first scales p by (1 − lr·wd); Adam adds wd·p to g.
    private func adam(_ p: Parameter, _ grad: Tensor, _ g: ParamGroup, decoupled: Bool) {
        let n = p.count, x = p.value.data, gd = grad.data
        let wd = g.weightDecay, lr = g.lr
        let b1 = config.beta1, b2 = config.beta2, eps = config.eps
        let t = stepCount[p.name, default: 0] + 1
        stepCount[p.name] = t
        let m = buffer(p, "exp_avg").0.data, v = buffer(p, "exp_avg_sq").0.data
        if decoupled && wd != 0 { for i in 0..<n { x[i] *= 1 - lr * wd } }
        let bc1 = 1 - powf(b1, Float(t)), bc2 = 1 - powf(b2, Float(t))
        let stepSize = lr / bc1, bc2Sqrt = bc2.squareRoot()
        for i in 0..<n {
            let gi = (!decoupled && wd != 0) ? gd[i] + wd * x[i] : gd[i]
            m[i] += (gi - m[i]) * (1 - b1)  // torch: exp_avg.lerp_(grad, 1 − β1)
            v[i] = v[i] * b2 + (1 - b2) * gi * gi
            let denom = v[i].squareRoot() / bc2Sqrt + eps
            x[i] += -stepSize * (m[i] / denom)  // torch addcdiv: p + value·(m / denom)
        }
    }

    /// Restores state saved by `state`/`stepCount` (checkpoint resume).
    public func load(state: [String: [String: [Float]]], stepCount: [String: Int]) {
        buffers = state.mapValues { $0.mapValues { Tensor($0, shape: [$0.count]) } }
        self.stepCount = stepCount
    }
}

/// Gradient clipping over a set of parameters.
public enum GradClip {
    /// clip_grad_value_: clamp every gradient element to [−v, v].
    public static func byValue(_ params: [Parameter], _ v: Float) {
        for p in params { if let g = p.value.grad { for i in 0..<g.count { g.data[i] = min(max(g.data[i], -v), v) } } }
    }

    /// clip_grad_norm_ (L2): scale all gradients by min(1, max / (total + 1e-6)); returns the total norm.
    @discardableResult
    public static func byNorm(_ params: [Parameter], _ maxNorm: Float) -> Float {
        var sq: Float = 0
        for p in params {
            guard let g = p.value.grad else { continue }
            var s: Float = 0
            for i in 0..<g.count { s += g.data[i] * g.data[i] }
            sq += s
        }
        let total = sq.squareRoot()
        let coef = min(maxNorm / (total + 1e-6), 1)
        if coef < 1 { for p in params { if let g = p.value.grad { for i in 0..<g.count { g.data[i] *= coef } } } }
        return total
    }
}
