// `bench probe`: runs one batch through a method with full weights given in the official state-dict names
// and writes what parity tests compare against the official code: logits (eval mode), the full training
// loss (extra terms included, dropout off) and the gradient of that loss for every trainable tensor,
// under official names.
import Backbones
import Checkpoints
import Engine
import Foundation
import Methods
import Random

/// What a probe produced.
public struct ProbeResult {
    public var logits: Tensor
    public var loss: Float
    /// Official name → gradient (with the official shape).
    public var gradients: [StoredTensor]
}

public enum Probe {
    /// Loads `weights` (official names: backbone under the method's official prefix, method tensors by their
    /// own names, plus the method's data-dependent state — `PromptMethod.loadProbeState`) into `method`; every
    /// trainable method tensor must be present.
    public static func loadOfficialWeights(_ method: PromptMethod, from ck: Checkpoint) throws -> LoadReport {
        let dict = StateDict(ck)
        var report = LoadReport()
        let backboneParams: [Parameter]
        if let vit = method.backboneViT {
            report = try vit.load(dict, naming: method.officialBackbone.naming, prefix: method.officialBackbone.prefix)
            backboneParams = vit.parameters
        } else if let (swin, prefix) = method.backboneSwin {
            // The Swin's tensors sit under `prefix` beside the method's own (and, for SA²VP, frozen copies the
            // method does not hold); load the prefixed subset leniently, then require every backbone tensor.
            var sub = Checkpoint(format: ck.format, file: ck.file)
            for n in ck.names where n.hasPrefix(prefix) && !method.parameters.contains(where: { $0.name == n }) {
                sub.names.append(n); sub.tensors[n] = ck.tensors[n]
            }
            sub = try sub.strippingPrefixes([prefix])
            let r = try swin.load(from: sub, strict: false)
            // A headless Swin (the official `num_classes=-1`) has a zero-size head that no file holds.
            let missing = r.missing.filter { n in !(n.hasPrefix("head.") && swin.head.weight.count == 0) }
            guard missing.isEmpty else {
                throw BackboneError(file: ck.file, "Swin tensors missing under '\(prefix)': \(missing.prefix(5).joined(separator: ", "))")
            }
            let used = Set(r.loaded.map { prefix + $0 } + r.recomputed.map { prefix + $0 })
            report.loaded = r.loaded.map { prefix + $0 }
            backboneParams = swin.parameters
            let own = method.parameters.filter { p in !backboneParams.contains { $0 === p } }
            report.loaded += try loadOwn(own, from: dict, file: ck.file)
            report.unexpected = dict.unused.filter { !used.contains($0) }
            return report
        } else if let resnet = method.backboneResNet {
            // torchvision names at the top level, BatchNorm running statistics included (buffers, not parameters).
            // A tensor the method owns under a torchvision name (the linear probe's new `fc`) is the method's to load.
            let owned = Set(method.parameters.filter { p in !resnet.parameters.contains { $0 === p } }.map(\.name))
            let r = try resnet.load(dict, strict: false, skipping: owned)
            guard r.missing.isEmpty else {
                throw BackboneError(file: ck.file, "ResNet tensors missing: \(r.missing.prefix(5).joined(separator: ", "))")
            }
            report.loaded = r.loaded
            backboneParams = resnet.parameters
        } else { backboneParams = [] }
        // Data-dependent structure first (DAM-VP: the prototypes decide how many prompters exist).
        report.loaded += try method.loadProbeState(from: dict)
        let own = method.parameters.filter { p in !backboneParams.contains { $0 === p } }
        report.loaded += try loadOwn(own, from: dict, file: ck.file)
        report.unexpected = dict.unused
        return report
    }

    /// Loads the method's own tensors by their official names; each must be present.
    static func loadOwn(_ own: [Parameter], from dict: StateDict, file: String) throws -> [String] {
        for p in own {
            guard dict.contains(p.name) else { throw BackboneError(file: file, "method tensor '\(p.name)' missing from the weights") }
            try dict.load(p.name, into: p, allowReshape: true)
        }
        return own.map(\.name)
    }

    /// Runs the probe on images [B, C, H, W] and labels.
    public static func run(_ method: PromptMethod, images: Tensor, labels: [Int]) throws -> ProbeResult {
        // A probe has no training data: state the method computes from data must come with the weights.
        if let why = method.notReady { throw MethodError(why) }
        var eval = ForwardContext.eval
        let logits = withoutGrad { method.logits(images, context: &eval) }
        for p in method.trainable { p.value.grad = nil }
        var ctx = ForwardContext.eval  // training loss with dropout off
        let loss = method.loss(TrainingBatch(images: images, labels: labels, epoch: 0), context: &ctx)
        loss.backward()
        return ProbeResult(logits: logits, loss: loss.item, gradients: officialGradients(method))
    }

    /// Gradients of the trainable tensors under official names (fused backbone tensors split back).
    public static func officialGradients(_ method: PromptMethod) -> [StoredTensor] {
        var out: [StoredTensor] = []
        var covered = Set<ObjectIdentifier>()
        if let vit = method.backboneViT {
            let (naming, prefix) = method.officialBackbone
            out += vit.exportTensors(naming, prefix: prefix) { p in p.trainable ? (p.grad?.scalars ?? [Float](repeating: 0, count: p.count)) : nil }
            for p in vit.parameters { covered.insert(ObjectIdentifier(p)) }
        }
        for p in method.trainable where !covered.contains(ObjectIdentifier(p)) {
            out.append(StoredTensor(name: p.name, shape: p.shape, floats: p.grad?.scalars ?? [Float](repeating: 0, count: p.count)))
        }
        return out
    }

    /// Writes logits.npy, loss.txt and grads.safetensors into `out`.
    public static func write(_ r: ProbeResult, to out: URL) throws {
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try RunStore.writeAtomically(try Npy.encode(StoredTensor(name: "logits", shape: r.logits.shape, floats: r.logits.scalars)),
                                     to: out.appendingPathComponent("logits.npy"))
        try RunStore.writeAtomically(Foundation.Data(String(format: "%.9g\n", r.loss).utf8), to: out.appendingPathComponent("loss.txt"))
        try RunStore.writeAtomically(try Safetensors.encode(r.gradients, file: "grads.safetensors"), to: out.appendingPathComponent("grads.safetensors"))
    }

    /// Reads an input batch (.npy float32 [B, C, H, W]) and labels (.npy integers or floats [B]).
    public static func readInputs(images: URL, labels: URL) throws -> (Tensor, [Int]) {
        let x = try Npy.load(images)
        let y = try Npy.load(labels)
        let yv: [Int]
        if let ints = try? y.int64s() { yv = ints.map { Int($0) } } else { yv = try y.floats().map { Int($0) } }
        return (Tensor(try x.floats(), shape: x.shape), yv)
    }
}
