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
    /// Per-parameter state buffers by name: SGD "momentum_buffer"; Adam "exp_avg", "exp_avg_sq".
    public private(set) var state: [String: [String: [Float]]] = [:]
    public private(set) var stepCount: [String: Int] = [:]

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

    private func buffer(_ p: Parameter, _ key: String) -> [Float]? { state[p.name]?[key] }

    /// torch.optim.SGD: d = g + wd·p; buf = μ·buf + (1−dampening)·d (buf = d on the first step); p −= lr·buf.
    private func sgd(_ p: Parameter, _ grad: Tensor, _ g: ParamGroup) {
        let n = p.count, x = p.value.data, gd = grad.data
        let wd = g.weightDecay, lr = g.lr, mu = config.momentum
        var d = [Float](repeating: 0, count: n)
        for i in 0..<n { d[i] = wd != 0 ? gd[i] + wd * x[i] : gd[i] }
        if mu != 0 {
            if var buf = buffer(p, "momentum_buffer") {
                for i in 0..<n { buf[i] = mu * buf[i] + (1 - config.dampening) * d[i] }
                d = buf
            }
            state[p.name, default: [:]]["momentum_buffer"] = d
            if config.nesterov { for i in 0..<n { d[i] = gd[i] + (wd != 0 ? wd * x[i] : 0) + mu * d[i] } }
        }
        for i in 0..<n { x[i] -= lr * d[i] }
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
        var m = buffer(p, "exp_avg") ?? [Float](repeating: 0, count: n)
        var v = buffer(p, "exp_avg_sq") ?? [Float](repeating: 0, count: n)
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
        state[p.name, default: [:]]["exp_avg"] = m
        state[p.name, default: [:]]["exp_avg_sq"] = v
    }

    /// Restores state saved by `state`/`stepCount` (checkpoint resume).
    public func load(state: [String: [String: [Float]]], stepCount: [String: Int]) {
        self.state = state
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
