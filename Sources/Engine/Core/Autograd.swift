// Reverse-mode autograd: each op that has an input requiring grad records a Node on its output.
// Nodes are numbered in creation order, which is a topological order of the graph (the tape);
// backward() replays them newest first. An op's backward computes a gradient only for inputs whose
// `requiresGrad` is set, so frozen weights cost no weight-gradient work.
import Foundation

/// One recorded operation: its inputs and a closure mapping the output gradient to input gradients.
final class Node {
    nonisolated(unsafe) static var counter = 0
    let id: Int
    let inputs: [Tensor]
    /// Returns one gradient per input (nil where the input needs none).
    let backward: (Tensor) -> [Tensor?]
    let name: String

    init(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) {
        Node.counter += 1
        id = Node.counter
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record history. Off inside `withoutGrad { }` (evaluation, optimiser updates).
public enum GradMode {
    nonisolated(unsafe) public static var enabled = true
}

/// Runs `body` with recording off (like `torch.no_grad()`).
public func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
    let saved = GradMode.enabled
    GradMode.enabled = false
    defer { GradMode.enabled = saved }
    return try body()
}

/// True when an op on these inputs must record a node.
@inline(__always) func needsGrad(_ ts: Tensor...) -> Bool {
    guard GradMode.enabled else { return false }
    for t in ts where t.requiresGrad { return true }
    return false
}

@inline(__always) func needsGrad(_ ts: [Tensor]) -> Bool {
    guard GradMode.enabled else { return false }
    for t in ts where t.requiresGrad { return true }
    return false
}

extension Tensor {
    /// Attaches history to a freshly computed output.
    @inline(__always)
    func record(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if needsGrad(inputs) {
            node = Node(name, inputs, backward)
            requiresGrad = true
        }
        return self
    }

    /// Back-propagates from this tensor. A non-scalar output needs an explicit `gradient`.
    /// The graph is released afterwards (as PyTorch does without `retain_graph`).
    public func backward(_ gradient: Tensor? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not require grad")
        let seed = gradient ?? Tensor(repeating: 1, shape: shape)
        precondition(seed.count == count, "gradient shape \(seed.shape) for output \(shape)")
        // Collect the non-leaf tensors reachable from here.
        var visited = Set<ObjectIdentifier>()
        var order: [Tensor] = []
        var stack: [Tensor] = [self]
        while let t = stack.popLast() {
            guard let n = t.node, visited.insert(ObjectIdentifier(t)).inserted else { continue }
            order.append(t)
            for i in n.inputs where i.node != nil { stack.append(i) }
        }
        order.sort { $0.node!.id > $1.node!.id }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        withoutGrad {
            for t in order {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(t)), let n = t.node else { continue }
                let gs = n.backward(g)
                for (input, gi) in zip(n.inputs, gs) {
                    guard let gi, input.requiresGrad else { continue }
                    precondition(gi.count == input.count, "\(n.name) backward: grad \(gi.shape) for input \(input.shape)")
                    // Gradients may alias each other (an add passes its output gradient to both
                    // inputs), so accumulation always writes a fresh buffer, never into `gi`.
                    if input.node == nil {
                        if let acc = input.grad { acc.addInPlace(gi) } else { input.grad = gi.copyRaw(shape: input.shape) }
                    } else {
                        let key = ObjectIdentifier(input)
                        if let acc = grads[key] {
                            grads[key] = acc.addingRaw(gi)
                        } else {
                            grads[key] = gi
                        }
                    }
                }
            }
        }
        for t in order { t.node = nil }
    }

}
