// `bench throughput`: train-step and eval images/s of methods on a randomly initialised backbone (ViT, or a
// ResNet for the CNN methods) with synthetic input at the size the method takes. Warm-up steps, then timed steps; the train step is split into forward (loss), backward and
// optimiser time. Peak RSS is the kernel's VmHWM, reset per method through /proc/self/clear_refs ("5").
// Rows append to results/throughput/<machine>-<blas>-t<threads>.csv.
import Backbones
import Engine
import Foundation
import Methods
import Random
import Tabular

/// One measured (method, backbone, batch) configuration.
public struct ThroughputResult: Sendable, Equatable {
    public var method: String
    public var backbone: String
    public var batch: Int
    public var threads: Int
    public var blasCore: String
    public var steps: Int
    /// Train-step images/s and its split (ms per step).
    public var trainImagesPerSecond: Double
    public var forwardMs: Double
    public var backwardMs: Double
    public var optimizerMs: Double
    /// Eval (no-grad logits) images/s.
    public var evalImagesPerSecond: Double
    /// Peak resident set (VmHWM) during this method's steps, bytes; nil where /proc is unavailable.
    public var peakRSSBytes: Int?
    /// Peak bytes held by tensor storages during the train steps.
    public var peakTensorBytes: Int
    public var trainableParameters: Int
    /// GFLOP/s of the train step and of eval, from the ViT FLOP model (nil for non-ViT backbones).
    public var trainGFLOPs: Double?
    public var evalGFLOPs: Double?
    /// Seconds of one training epoch over 1000 cached frozen features, for methods that cache (the linear probe):
    /// what every epoch after the feature pass costs. Printed, not in the CSV.
    public var cachedEpochSeconds: Double? = nil
}

public enum Throughput {
    /// Backbone ids `bench throughput` knows.
    public static let backboneIDs = ["vit-b16", "vit-mini", "resnet50", "resnet18"]

    /// A randomly initialised backbone by id (torchvision's init for ResNets, 1000 source classes).
    public static func backbone(_ id: String, seed: UInt64) throws -> BackboneModel {
        switch id {
        case "vit-b16": return .vit(ViT(.vitB16(), seed: seed))
        case "vit-mini": return .vit(ViT(BackboneZoo.miniConfig, seed: seed))
        case "resnet50": return .resnet(ResNet(.resnet50, seed: seed))
        case "resnet18": return .resnet(ResNet(.resnet18, seed: seed))
        default: throw MethodError("unknown backbone '\(id)' for throughput; known: \(backboneIDs.joined(separator: ", "))")
        }
    }

    /// Multiply-add FLOPs (2 per MAC) of one image through a ViT with `extraTokens` prompt tokens:
    /// forward; `trainFactor` is not applied here.
    public static func vitForwardFLOPs(_ c: ViTConfig, extraTokens: Int = 0) -> Double {
        let n = Double(c.numPatches + 1 + extraTokens), d = Double(c.dim), m = Double(c.mlpDim)
        let patch = 2 * Double(c.numPatches) * d * Double(c.channels * c.patchSize * c.patchSize)
        let block = 2 * n * d * (3 * d) + 2 * n * d * d + 2 * 2 * n * d * m + 2 * 2 * n * n * d
        return patch + Double(c.depth) * block
    }

    /// sgemm GFLOP/s of C[m×n] = A[m×k]·B[k×n] (best of `reps` after one warm-up): the GEMM ceiling of this sitting,
    /// the faster of OpenBLAS's own threading over `Threads.count` threads and the engine's `gemm` (OpenBLAS
    /// single-threaded per worker). Default shape: ViT-B/16 fc1 at batch 8 (1576 tokens × 768 → 3072).
    public static func sgemmGFLOPs(m: Int = 1576, n: Int = 3072, k: Int = 768, reps: Int = 3) -> (ceiling: Double, openBLAS: Double, engine: Double) {
        var rng = RandomStream(7)
        let a = Init.normal([m, k], std: 1, rng: &rng), b = Init.normal([k, n], std: 1, rng: &rng)
        let c = Tensor(zeros: [m, n])
        func best(_ body: () -> Void) -> Double {
            var best = Double.infinity
            for r in 0...reps {
                let t0 = DispatchTime.now().uptimeNanoseconds
                body()
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                if r > 0 { best = min(best, dt) }
            }
            return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
        }
        let blas = best { openBLASThreadedGemm(m: m, n: n, k: k, a: a.data, b: b.data, c: c.data, threads: Threads.count) }
        let engine = best { gemm(transA: false, transB: false, m: m, n: n, k: k, a: a.data, b: b.data, c: c.data) }
        return (max(blas, engine), blas, engine)
    }

    /// Reads VmHWM (peak RSS) from /proc/self/status, bytes.
    public static func peakRSS() -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    /// Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0); false if unsupported.
    @discardableResult
    public static func resetPeakRSS() -> Bool {
        guard let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? h.close() }
        do { try h.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }

    /// Measures one method. `steps` timed train steps and `steps` timed eval passes after `warmup` of each.
    public static func measure(method id: String, backbone backboneID: String, batch: Int, steps: Int, warmup: Int = 1,
                               classes: Int = 100, seed: UInt64 = 0) throws -> ThroughputResult {
        let model = try backbone(backboneID, seed: seed)
        let m = try makeMethod(id, setup: MethodSetup(backbone: model, numClasses: classes, rng: RandomStream(seed, 1), backboneId: backboneID))
        var rng = RandomStream(seed, 2)
        let size = m.inputImageSize ?? model.vit?.config.imageSize ?? 224
        let shape = [batch, 3, size, size]
        let images = Init.normal(shape, std: 1, rng: &rng)
        let labels = (0..<batch).map { $0 % classes }
        // Data-dependent structure (clusters, label mappings) from a few synthetic batches.
        let data: TrainingData = { _ in
            var left = 2
            return { left -= 1; return left >= 0 ? (images, labels) : nil }
        }
        try m.prepare(trainingData: data)
        try m.epochWillBegin(0, trainingData: data)
        let opt = Optimizer(OptimizerConfig(kind: .sgd, momentum: 0.9), groups: m.parameterGroups(lr: 1e-3, weightDecay: 1e-4))

        var fwd = 0.0, bwd = 0.0, upd = 0.0
        func trainStep(_ step: Int, timed: Bool) {
            var ctx = ForwardContext(training: true, rng: RandomStream(seed, 3, UInt64(step)))
            let t0 = DispatchTime.now().uptimeNanoseconds
            let loss = m.loss(TrainingBatch(images: images, labels: labels, epoch: 0), context: &ctx)
            _ = loss.item
            let t1 = DispatchTime.now().uptimeNanoseconds
            opt.zeroGrad()
            loss.backward()
            let t2 = DispatchTime.now().uptimeNanoseconds
            opt.step()
            let t3 = DispatchTime.now().uptimeNanoseconds
            if timed { fwd += Double(t1 - t0) / 1e6; bwd += Double(t2 - t1) / 1e6; upd += Double(t3 - t2) / 1e6 }
        }
        func evalStep() {
            var ctx = ForwardContext.eval
            _ = withoutGrad { m.logits(images, context: &ctx) }.scalars
        }

        BufferCache.purge()  // nothing cached from building the model (or an earlier method) counts in this one's RSS
        resetPeakRSS()
        Memory.resetPeak()
        for i in 0..<warmup { trainStep(i, timed: false) }
        for i in 0..<steps { trainStep(warmup + i, timed: true) }
        let peakTensor = Memory.peakBytes
        for _ in 0..<warmup { evalStep() }
        let e0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { evalStep() }
        let evalS = Double(DispatchTime.now().uptimeNanoseconds - e0) / 1e9
        let rss = peakRSS()

        let s = Double(max(steps, 1))
        let stepMs = (fwd + bwd + upd) / s
        let trainIPS = Double(batch) / (stepMs / 1000)
        let evalIPS = Double(batch * steps) / max(evalS, 1e-12)
        // FLOP model: eval = forward; a train step = forward + dX backward (2×) + dW for trainable weights.
        let extra = (id == "vpt-deep" || id == "vpt-shallow") ? ((m as? VPT)?.config.NUM_TOKENS ?? 0) : 0
        let f = model.vit.map { vitForwardFLOPs($0.config, extraTokens: extra) }
        return ThroughputResult(
            method: id, backbone: backboneID, batch: batch, threads: Threads.count, blasCore: Threads.blasCore, steps: steps,
            trainImagesPerSecond: trainIPS, forwardMs: fwd / s, backwardMs: bwd / s, optimizerMs: upd / s,
            evalImagesPerSecond: evalIPS, peakRSSBytes: rss, peakTensorBytes: peakTensor,
            trainableParameters: m.trainable.reduce(0) { $0 + $1.count },
            trainGFLOPs: nil, evalGFLOPs: f.map { $0 * evalIPS / 1e9 },
            cachedEpochSeconds: (m as? CachesFrozenFeatures).map { cachedEpochSeconds($0, batch: batch, classes: classes, seed: seed) })
    }

    public static let csvHeader = [
        "date", "machine", "cpu", "blas_core", "threads", "method", "backbone", "batch", "steps",
        "train_img_s", "forward_ms", "backward_ms", "optimizer_ms", "eval_img_s", "eval_gflop_s",
        "peak_rss_mib", "peak_tensor_mib", "trainable_params",
    ]

    static func mib(_ b: Int?) -> String { b.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "" }

    public static func csvRow(_ r: ThroughputResult, machine: MachineInfo, date: Date = Date()) -> [String] {
        [ISO8601DateFormatter().string(from: date), machine.host, machine.cpu, r.blasCore, "\(r.threads)", r.method, r.backbone,
         "\(r.batch)", "\(r.steps)", String(format: "%.3f", r.trainImagesPerSecond), String(format: "%.2f", r.forwardMs),
         String(format: "%.2f", r.backwardMs), String(format: "%.2f", r.optimizerMs), String(format: "%.3f", r.evalImagesPerSecond),
         r.evalGFLOPs.map { String(format: "%.2f", $0) } ?? "", mib(r.peakRSSBytes), mib(r.peakTensorBytes), "\(r.trainableParameters)"]
    }

    /// `results/throughput/<machine>-<blas>-t<threads>.csv` under `root`.
    public static func csvURL(root: URL, machine: MachineInfo) -> URL {
        let safe = { (s: String) in String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }) }
        return root.appendingPathComponent("results/throughput/\(safe(machine.host))-\(safe(machine.blasCore))-t\(machine.threads).csv")
    }

    /// Appends rows (writing the header when the file is new).
    public static func append(_ results: [ThroughputResult], to url: URL, machine: MachineInfo) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let rows = results.map { csvRow($0, machine: machine) }
        if FileManager.default.fileExists(atPath: url.path) {
            let h = try FileHandle(forWritingTo: url)
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: Data(CSVWriter.text(header: nil, rows: rows).utf8))
        } else {
            try CSVWriter.write(header: csvHeader, rows: rows, to: url.path)
        }
    }

    /// Seconds of one training epoch over 1000 cached features for `m` (its optimiser, its loss): timed on 1000 images
    /// when their features are small (the linear probe's and MLP-3's CLS rows), else on 4 batches and scaled (Partial-k's tokens).
    static func cachedEpochSeconds(_ m: CachesFrozenFeatures, batch: Int, classes: Int, seed: UInt64) -> Double {
        var rng = RandomStream(seed, 4)
        let images = m.featureWidth <= 8192 ? 1000 : min(1000, 4 * batch)
        let split = CachedSplit(features: Init.normal([images, m.featureWidth], std: 1, rng: &rng), labels: (0..<images).map { $0 % classes })
        let opt = Optimizer(OptimizerConfig(kind: .sgd, momentum: 0.9), groups: m.parameterGroups(lr: 1e-3, weightDecay: 1e-4))
        let order = rng.permutation(images)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for start in stride(from: 0, to: images, by: batch) {
            let (x, y) = split.batch(Array(order[start..<min(start + batch, images)]))
            var ctx = ForwardContext(training: true, rng: RandomStream(seed, 5, UInt64(start)))  // as the trainer's step
            let loss = m.crossEntropy(m.trainingLogits(fromFeatures: x, context: &ctx), TrainingBatch(images: x, labels: y, epoch: 0))
            opt.zeroGrad()
            loss.backward()
            opt.step()
        }
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 * 1000 / Double(images)
    }

    /// Markdown table of results.
    public static func markdown(_ results: [ThroughputResult]) -> String {
        var s = "| method | backbone | batch | threads | train img/s | fwd ms | bwd ms | opt ms | eval img/s | eval GFLOP/s | peak RSS MiB | trainable |\n"
        s += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        for r in results {
            s += "| \(r.method) | \(r.backbone) | \(r.batch) | \(r.threads) | \(String(format: "%.2f", r.trainImagesPerSecond)) | "
            s += "\(String(format: "%.1f", r.forwardMs)) | \(String(format: "%.1f", r.backwardMs)) | \(String(format: "%.1f", r.optimizerMs)) | "
            s += "\(String(format: "%.2f", r.evalImagesPerSecond)) | \(r.evalGFLOPs.map { String(format: "%.1f", $0) } ?? "–") | "
            s += "\(mib(r.peakRSSBytes)) | \(r.trainableParameters) |\n"
        }
        return s
    }
}

