// Reverse-mode autograd: each op that has an input requiring grad records a Node on its output.
// Nodes are numbered in creation order, which is a topological order of the graph (the tape);
// backward() replays them newest first. An op's backward computes a gradient only for inputs whose
// `requiresGrad` is set, so frozen weights cost no weight-gradient work.
import Foundation

/// One recorded operation: edges to its inputs and a closure mapping the output gradient to input gradients.
///
/// A node does not keep its input tensors alive: it holds the producing node of each non-leaf input and the
/// tensor only of leaves that need a gradient. So an activation lives only as long as some backward closure
/// captured it (activations stored once; a frozen layer's input is dropped when only dW would need it).
final class Node {
    nonisolated(unsafe) static var counter = 0
    let id: Int
    /// Per input: the producing node (non-leaf inputs that require grad), the tensor (leaves that require
    /// grad), or neither (inputs needing no gradient).
    let edges: [(node: Node?, leaf: Tensor?)]
    /// Returns one gradient per input (nil where the input needs none); released after use.
    var backward: ((Tensor) -> [Tensor?])?
    /// Element count of each input (shape check of returned gradients).
    let inputCounts: [Int]
    let name: String
    /// The output this node computed (to detach it once the graph has been used).
    weak var output: Tensor?

    init(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) {
        Node.counter += 1
        id = Node.counter
        self.name = name
        edges = inputs.map { t in
            guard t.requiresGrad else { return (nil, nil) }
            return t.node != nil ? (t.node, nil) : (nil, t)
        }
        inputCounts = inputs.map(\.count)
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
            let n = Node(name, inputs, backward)
            n.output = self
            node = n
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
        guard let root = node else { return }
        // Collect the nodes reachable from here.
        var visited = Set<ObjectIdentifier>()
        var order: [Node] = []
        var stack: [Node] = [root]
        while let n = stack.popLast() {
            guard visited.insert(ObjectIdentifier(n)).inserted else { continue }
            order.append(n)
            for e in n.edges { if let m = e.node { stack.append(m) } }
        }
        order.sort { $0.id > $1.id }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        withoutGrad {
            for n in order {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(n)), let bw = n.backward else { continue }
                let gs = bw(g)
                n.backward = nil  // frees what the closure captured as soon as it has run
                for ((e, cnt), gi) in zip(zip(n.edges, n.inputCounts), gs) {
                    guard let gi else { continue }
                    precondition(gi.count == cnt, "\(n.name) backward: grad \(gi.shape) for an input of \(cnt) elements")
                    // Gradients may alias each other (an add passes its output gradient to both
                    // inputs), so accumulation always writes a fresh buffer, never into `gi`.
                    if let leaf = e.leaf {
                        if let acc = leaf.grad { acc.addInPlace(gi) } else { leaf.grad = gi.copyRaw(shape: leaf.shape) }
                    } else if let m = e.node {
                        let key = ObjectIdentifier(m)
                        if let acc = grads[key] {
                            grads[key] = acc.addingRaw(gi)
                        } else {
                            grads[key] = gi
                        }
                    }
                }
            }
        }
        for n in order { n.backward = nil; n.output?.node = nil }
    }

}
