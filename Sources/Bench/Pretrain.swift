// `bench pretrain --recipe mini`: pretrains the built-in mini ViT from a seed on the built-in SOURCE task
// (100 classes of parametric patterns, disjoint from the mini benchmark's targets), then writes its weights
// in timm naming (head dropped) as safetensors and prints their SHA-256 (recorded in BackboneZoo).
// `--recipe mini-resnet` does the same for the mini ResNet (ILM-VP's backbone in the mini table), keeping
// its source head: ILM-VP reads target classes off the source classifier.
// `--recipe mini-alexnet` pretrains Sidetune's mini side network (AlexNet's layout for 32-px images,
// AlexNetConfig.mini) with a linear 100-class head on its flattened features, on the mini ViT's pipeline (the side
// network sees the ViT's input, as in KMnP/vpt); only the convolutions are written (torchvision `features.*` names).
import Backbones
import Checkpoints
import Data
import Engine
import Foundation
import Random

/// The pretraining recipe of the mini backbone.
public struct PretrainRecipe: Sendable {
    public var seed: UInt64 = 0
    public var images: Int = 20_000
    public var epochs: Int = 12
    public var batchSize: Int = 128
    public var lr: Float = 1e-3
    public var weightDecay: Float = 0.05
    public var warmupEpochs: Int = 1
    public var labelSmoothing: Float = 0.1
    public static let mini = PretrainRecipe()
    /// The mini AlexNet's: half the images and 5 epochs (a side network only needs generic low-level filters, and its
    /// convolutions at full 32-px resolution cost ~4× the mini ViT's step on this 2-core machine).
    public static let miniAlexNet = PretrainRecipe(images: 10_000, epochs: 5)
}

public enum Pretrain {
    /// Recipe names `bench pretrain --recipe` accepts.
    public static let recipes = ["mini", "mini-resnet", "mini-alexnet"]

    /// Trains and returns the mini ViT (with its 100-class head) and the held-out source accuracy.
    public static func run(_ r: PretrainRecipe, config: ViTConfig = BackboneZoo.miniConfig, log: (String) -> Void) throws -> (ViT, Double) {
        var c = config
        c.numClasses = BuiltinTask.source_patterns.numClasses
        let vit = ViT(c, seed: r.seed)
        let acc = try train(vit.parameters, r, imageSize: c.imageSize, pipeline: "builtin", log: log,
                            forward: { x, ctx in vit(x, context: &ctx) }, predict: { vit($0) })
        return (vit, acc)
    }

    /// Trains and returns the mini ResNet (torchvision init, BatchNorm in training mode while pretraining, ImageNet
    /// normalisation as torchvision's ResNets; its 100-class head is kept) and the held-out source accuracy.
    public static func runResNet(_ r: PretrainRecipe, config: ResNetConfig = BackboneZoo.miniResNetConfig, imageSize: Int = 32,
                                 log: (String) -> Void) throws -> (ResNet, Double) {
        var c = config
        c.numClasses = BuiltinTask.source_patterns.numClasses
        let net = ResNet(c, seed: r.seed)
        let acc = try train(net.parameters, r, imageSize: imageSize, pipeline: "builtin-imagenet", log: log,
                            forward: { x, _ in net.trainsBatchNorm = true; return net.forward(x) },
                            predict: { net.trainsBatchNorm = false; return net.forward($0) })
        return (net, acc)
    }

    /// Trains and returns the mini AlexNet features (torchvision init) and the held-out source accuracy of the
    /// pretraining head (nn.Linear on the flattened features, dropped afterwards).
    public static func runAlexNet(_ r: PretrainRecipe, config: AlexNetConfig = .mini, imageSize: Int = 32,
                                  log: (String) -> Void) throws -> (AlexNetFeatures, Double) {
        var rng = RandomStream(r.seed, 0xA1E)
        let net = AlexNetFeatures(config, rng: &rng)
        let head = Linear("fc", config.featureDim, BuiltinTask.source_patterns.numClasses, rng: &rng)
        let acc = try train(net.parameters + head.parameters, r, imageSize: imageSize, pipeline: "builtin", log: log,
                            forward: { x, _ in head(net(x)) }, predict: { head(net($0)) })
        return (net, acc)
    }

    /// The shared loop: AdamW (no decay on 1-D tensors and tokens), timm cosine with warmup per step, label
    /// smoothing, the source task's held-out split evaluated after every epoch.
    static func train(_ parameters: [Parameter], _ r: PretrainRecipe, imageSize: Int, pipeline pipelineName: String, log: (String) -> Void,
                      forward: (Tensor, inout ForwardContext) -> Tensor, predict: (Tensor) -> Tensor) throws -> Double {
        for p in parameters { p.trainable = true }
        let pipeline = try Pipeline.make(pipelineName, size: imageSize)
        let train = DataLoader(dataset: BuiltinDataset(task: .source_patterns, pool: 0..<r.images, seed: r.seed, size: imageSize),
                               pipeline: pipeline, options: LoaderOptions(batchSize: r.batchSize, shuffle: true, dropLast: true, train: true, seed: r.seed, cache: true))
        let heldOut = DataLoader(dataset: BuiltinDataset(task: .source_patterns, pool: r.images..<(r.images + 2000), seed: r.seed, size: imageSize),
                                 pipeline: pipeline, options: LoaderOptions(batchSize: 256, shuffle: false, train: false, seed: r.seed))
        // timm-style: no weight decay on 1-D tensors and tokens.
        let decay = parameters.filter { $0.value.rank > 1 && !$0.name.contains("_token") && !$0.name.contains("pos_embed") }
        let noDecay = parameters.filter { p in !decay.contains { $0 === p } }
        let opt = Optimizer(OptimizerConfig(kind: .adamw), groups: [
            ParamGroup("decay", params: decay, lr: r.lr, weightDecay: r.weightDecay),
            ParamGroup("no_decay", params: noDecay, lr: r.lr, weightDecay: 0),
        ])
        let iters = train.plan(epoch: 0).count
        let schedule = Schedule.timmCosine(tInitial: r.epochs * iters, warmupT: r.warmupEpochs * iters, warmupLRInit: 1e-6, lrMin: 1e-5)
        var accuracy = 0.0
        for epoch in 0..<r.epochs {
            let t0 = Date()
            var lossSum = 0.0, n = 0, step = 0
            let it = train.batches(epoch: epoch)
            while let b = try it.next() {
                opt.apply(schedule, at: epoch * iters + step)
                let x = Tensor(b.images, shape: b.shape)
                var ctx = ForwardContext(training: true, dropPath: 0, rng: RandomStream(r.seed, UInt64(epoch), UInt64(step)))
                let loss = Tensor.crossEntropy(forward(x, &ctx), labels: b.labels.map { Int($0) }, labelSmoothing: r.labelSmoothing)
                opt.zeroGrad()
                loss.backward()
                opt.step()
                lossSum += Double(loss.item); n += 1; step += 1
            }
            accuracy = try evaluate(predict, heldOut)
            log(String(format: "pretrain epoch %d/%d  loss %.3f  held-out acc %.1f%%  %.0f img/s", epoch + 1, r.epochs, lossSum / Double(max(n, 1)),
                       accuracy, Double(n * r.batchSize) / Date().timeIntervalSince(t0)))
        }
        return accuracy
    }

    static func evaluate(_ predict: (Tensor) -> Tensor, _ loader: DataLoader) throws -> Double {
        var correct = 0, total = 0
        let it = loader.batches(epoch: 0)
        while let b = try it.next() {
            let pred = withoutGrad { predict(Tensor(b.images, shape: b.shape)).argmaxLastAxis() }
            correct += zip(pred, b.labels).filter { $0 == Int($1) }.count
            total += b.labels.count
        }
        return 100 * Double(correct) / Double(max(total, 1))
    }

    /// Writes the backbone (without the pretraining head) in timm naming; returns the file's SHA-256.
    public static func save(_ vit: ViT, to url: URL) throws -> String {
        let tensors = vit.exportTensors(.timm).filter { !$0.name.hasPrefix("head.") }
        let data = try Safetensors.encode(tensors, metadata: ["format": "pt", "vpt-bench": "vit-mini pretrained by `bench pretrain --recipe mini`"], file: url.path)
        try RunStore.writeAtomically(data, to: url)
        return SHA256.hex(data)
    }

    /// Writes the mini AlexNet's convolutions (torchvision `features.*` names); returns the SHA-256.
    public static func save(_ net: AlexNetFeatures, to url: URL) throws -> String {
        let data = try Safetensors.encode(net.exportTensors(), metadata: ["format": "pt", "vpt-bench": "alexnet-mini pretrained by `bench pretrain --recipe mini-alexnet`"], file: url.path)
        try RunStore.writeAtomically(data, to: url)
        return SHA256.hex(data)
    }

    /// Writes the mini ResNet (torchvision names, BN running statistics, source head kept); returns the SHA-256.
    public static func save(_ net: ResNet, to url: URL) throws -> String {
        let data = try Safetensors.encode(net.exportTensors(), metadata: ["format": "pt", "vpt-bench": "resnet-mini pretrained by `bench pretrain --recipe mini-resnet`"], file: url.path)
        try RunStore.writeAtomically(data, to: url)
        return SHA256.hex(data)
    }
}
