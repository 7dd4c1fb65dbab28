// Named preprocessing pipelines, one per upstream variant, recorded by value in a run's config.
// Each is parameterised by the target size S so the same pipeline runs at 224 px for real runs and
// at 32 px in tests; "256" in the upstream recipes becomes round(S * 256 / 224).

import Random

/// One preprocessing step on a uint8 image (the last step turns it into floats).
public enum PipelineStep: Codable, Equatable, Sendable {
    /// `tf.image.resize(float(img), [S, S], "bilinear")`, aspect ratio not kept (VPT VTAB).
    case tfBilinearSquash
    /// PIL `Resize((S, S), filter)`, aspect ratio not kept.
    case pilSquash(PILFilter)
    /// torchvision `Resize(size)` (shorter side → size), size = round(S * numerator / 224).
    case pilShorterSide(numerator: Int, filter: PILFilter)
    /// PIL `Resize((n, n), filter)`, n = round(S * numerator / 224), aspect ratio not kept (ILM-VP full_finetune.py:33).
    case pilSquashScaled(numerator: Int, filter: PILFilter)
    /// torchvision `CenterCrop(S)`.
    case centerCrop
    /// torchvision `RandomCrop(S)` (most pipelines put it in train only and center-crop at eval).
    case randomCrop
    /// torchvision `RandomResizedCrop(S, scale, interpolation)` (train only).
    case randomResizedCrop(scaleLo: Double, scaleHi: Double, filter: PILFilter)
    /// torchvision `RandomHorizontalFlip(p)` (train only, except ILM-VP's full fine-tuning).
    case horizontalFlip(p: Float)

    /// Whether the step draws random numbers (its output differs between epochs).
    public var isRandom: Bool {
        switch self {
        case .randomCrop, .randomResizedCrop, .horizontalFlip: return true
        case .tfBilinearSquash, .pilSquash, .pilShorterSide, .pilSquashScaled, .centerCrop: return false
        }
    }
}

/// A named, size-parameterised transform chain with separate train and eval steps.
public struct Pipeline: Codable, Equatable, Sendable {
    public var name: String
    /// Output side S (square output).
    public var size: Int
    public var train: [PipelineStep]
    public var eval: [PipelineStep]
    public var normalization: Normalization

    public init(name: String, size: Int, train: [PipelineStep], eval: [PipelineStep], normalization: Normalization) {
        self.name = name; self.size = size; self.train = train; self.eval = eval; self.normalization = normalization
    }

    /// The named pipelines (dictionary literal: one line per upstream variant).
    public static let named: [String: (Int) -> Pipeline] = [
        // VPT / E2VPT / DAM-VP on VTAB from TFDS: tf bilinear squash, /255, ImageNet stats (tf_dataset.py:148-156).
        "vpt-vtab": { s in Pipeline(name: "vpt-vtab", size: s, train: [.tfBilinearSquash], eval: [.tfBilinearSquash], normalization: .imagenet) },
        // SA²VP on the image-folder VTAB release: PIL bilinear squash, 0.5/0.5 (datasets.py build_transform_vtab).
        "sa2vp-vtab": { s in Pipeline(name: "sa2vp-vtab", size: s, train: [.pilSquash(.bilinear)], eval: [.pilSquash(.bilinear)], normalization: .half) },
        // DA-VPT on VTAB: Resize(224, bicubic) shorter side + CenterCrop(224), ImageNet (Dataset/transforms.py).
        "davpt-vtab": { s in Pipeline(name: "davpt-vtab", size: s, train: [.pilShorterSide(numerator: 224, filter: .bicubic), .centerCrop],
                                      eval: [.pilShorterSide(numerator: 224, filter: .bicubic), .centerCrop], normalization: .imagenet) },
        // NOAH on VTAB-1k with --no_aug --direct_resize (lib/datasets.py:212-242): Resize((224, 224), bicubic) + CenterCrop(224)
        // (a no-op), ImageNet default mean/std.
        "noah-vtab": { s in Pipeline(name: "noah-vtab", size: s, train: [.pilSquash(.bicubic)], eval: [.pilSquash(.bicubic)], normalization: .imagenet) },
        // VPT / E2VPT FGVC (src/data/transforms.py:7-41): Resize(256) → RandomCrop(224) → HFlip / Resize(256) → CenterCrop(224).
        "vpt-fgvc": { s in fgvc("vpt-fgvc", s, .imagenet) },
        // SA²VP FGVC: the same chain with 0.5/0.5 (build_transform_fgvc).
        "sa2vp-fgvc": { s in fgvc("sa2vp-fgvc", s, .half) },
        // DAM-VP HTA (data_utils/transforms.py:7-55): the same chain, 0.5/0.5 for vit-b-22k.
        "damvp-hta": { s in fgvc("damvp-hta", s, .half) },
        // DA-VPT FGVC: RandomResizedCrop(224, bicubic, scale 0.08-1) + HFlip / Resize(256, bicubic) + CenterCrop(224).
        "davpt-fgvc": { s in Pipeline(name: "davpt-fgvc", size: s,
                                      train: [.randomResizedCrop(scaleLo: 0.08, scaleHi: 1.0, filter: .bicubic), .horizontalFlip(p: 0.5)],
                                      eval: [.pilShorterSide(numerator: 256, filter: .bicubic), .centerCrop], normalization: .imagenet) },
        // SSF VTAB (--no-aug --direct-resize; data/transforms_factory.py:17-41): Resize((224, 224), bicubic) + CenterCrop (a
        // no-op), train = eval, Inception 0.5/0.5 (the timm in21k model's pretrained cfg, models/vision_transformer.py:47-55).
        "ssf-vtab": { s in Pipeline(name: "ssf-vtab", size: s, train: [.pilSquash(.bicubic)], eval: [.pilSquash(.bicubic)], normalization: .half) },
        // SSF FGVC (--simple-aug; transforms_factory.py:43-69, 158-197): RandomResizedCrop(224, 0.08-1, bicubic) + HFlip /
        // Resize(int(224 / 0.9) = 248, bicubic) + CenterCrop(224), 0.5/0.5.
        "ssf-fgvc": { s in Pipeline(name: "ssf-fgvc", size: s,
                                    train: [.randomResizedCrop(scaleLo: 0.08, scaleHi: 1.0, filter: .bicubic), .horizontalFlip(p: 0.5)],
                                    eval: [.pilShorterSide(numerator: 248, filter: .bicubic), .centerCrop], normalization: .half) },
        // V-PETL Bench VTAB without train_aug (ImageClassification/dataloader/vtab.py:71-74): Resize((224, 224)) bilinear,
        // ImageNet mean/std, train = eval.
        "vpetl-vtab": { s in Pipeline(name: "vpetl-vtab", size: s, train: [.pilSquash(.bilinear)], eval: [.pilSquash(.bilinear)], normalization: .imagenet) },
        // ILM-VP (data/prepare_data.py:28-139): Resize((s, s)) (PIL bilinear; a no-op for the 32-px CIFAR/SVHN) + ToTensor,
        // no augmentation, no normalisation (ImageNet stats are applied after the prompt, inside the method).
        "ilm-vp": { s in Pipeline(name: "ilm-vp", size: s, train: [.pilSquash(.bilinear)], eval: [.pilSquash(.bilinear)],
                                  normalization: Normalization(mean: [0, 0, 0], std: [1, 1, 1])) },
        // ILM-VP's linear probing (experiments/cnn/linear_probing.py:32-37): Resize((224, 224)) (PIL bilinear) + ToTensor +
        // ImageNet normalisation, train = test, no augmentation.
        "ilm-lp": { s in Pipeline(name: "ilm-lp", size: s, train: [.pilSquash(.bilinear)], eval: [.pilSquash(.bilinear)], normalization: .imagenet) },
        // ILM-VP's full fine-tuning (experiments/cnn/full_finetune.py:32-40): Resize((256, 256)) + RandomCrop(224) +
        // RandomHorizontalFlip + ImageNet normalisation — one `preprocess` for the training AND the test loader
        // (prepare_additive_data, data/prepare_data.py:142-214), so the test images are cropped and flipped at random too.
        "ilm-ff": { s in
            let steps: [PipelineStep] = [.pilSquashScaled(numerator: 256, filter: .bilinear), .randomCrop, .horizontalFlip(p: 0.5)]
            return Pipeline(name: "ilm-ff", size: s, train: steps, eval: steps, normalization: .imagenet)
        },
        // Built-in synthetic sets: already S×S; squash only if not, no augmentation (flips would change
        // position/orientation labels), inputs in [−1, 1].
        "builtin": { s in Pipeline(name: "builtin", size: s, train: [.pilSquash(.bilinear)], eval: [.pilSquash(.bilinear)], normalization: .half) },
        // The same with ImageNet statistics: what the mini ResNet is pretrained on, as torchvision's ResNets are
        // (ILM-VP normalises its prompted images with these statistics before the frozen CNN).
        "builtin-imagenet": { s in Pipeline(name: "builtin-imagenet", size: s, train: [.pilSquash(.bilinear)], eval: [.pilSquash(.bilinear)],
                                            normalization: .imagenet) },
    ]

    private static func fgvc(_ name: String, _ s: Int, _ n: Normalization) -> Pipeline {
        Pipeline(name: name, size: s,
                 train: [.pilShorterSide(numerator: 256, filter: .bilinear), .randomCrop, .horizontalFlip(p: 0.5)],
                 eval: [.pilShorterSide(numerator: 256, filter: .bilinear), .centerCrop], normalization: n)
    }

    /// The pipeline called `name` at output size `size`.
    public static func make(_ name: String, size: Int = 224) throws -> Pipeline {
        guard let f = named[name] else { throw DataError.badSplit(spec: name, reason: "unknown pipeline; known: \(named.keys.sorted())") }
        return f(size)
    }

    /// Steps for a phase.
    public func steps(train isTrain: Bool) -> [PipelineStep] { isTrain ? train : eval }

    /// Number of leading steps that are deterministic uint8 → uint8 (and so can be cached).
    public func cacheablePrefix(train isTrain: Bool) -> Int {
        var n = 0
        for s in steps(train: isTrain) {
            switch s {
            case .pilSquash, .pilShorterSide, .pilSquashScaled, .centerCrop: n += 1
            default: return n
            }
        }
        return n
    }

    /// Applies the first `count` steps (all deterministic) to an 8-bit image.
    public func applyPrefix(_ img: Image, train isTrain: Bool, count: Int) -> Image {
        var rng = RandomStream(0) // unused: prefix steps draw nothing
        var cur = img
        var f: [Float]? = nil
        for s in steps(train: isTrain).prefix(count) { apply(s, &cur, &f, isTrain, &rng) }
        return cur
    }

    /// Runs the steps from `start` on, then /255 and normalisation; `rng` is the sample's own stream.
    public func apply(_ img: Image, train isTrain: Bool, from start: Int = 0, rng: inout RandomStream) -> FloatImage {
        var cur = img
        var floatHWC: [Float]? = nil
        for s in steps(train: isTrain).dropFirst(start) { apply(s, &cur, &floatHWC, isTrain, &rng) }
        var out: FloatImage
        if let f = floatHWC {
            out = toFloatCHW(f, height: size, width: size, channels: cur.channels)
        } else {
            if cur.width != size || cur.height != size {
                // A chain that does not end at S×S (e.g. eval of a train-only crop): squash so batches stack.
                cur = pilResize(cur, width: size, height: size, filter: .bilinear)
            }
            out = toFloatCHW(cur)
        }
        normalize(&out, normalization)
        return out
    }

    private func apply(_ s: PipelineStep, _ cur: inout Image, _ floatHWC: inout [Float]?, _ isTrain: Bool, _ rng: inout RandomStream) {
        precondition(floatHWC == nil, "pipeline \(name): tfBilinearSquash must be the last step")
        switch s {
        case .tfBilinearSquash:
            floatHWC = tfResizeBilinear(cur, outHeight: size, outWidth: size)
        case let .pilSquash(f):
            if cur.width != size || cur.height != size { cur = pilResize(cur, width: size, height: size, filter: f) }
        case let .pilShorterSide(num, f):
            let target = Int((Double(size) * Double(num) / 224).rounded())
            let (w, h) = shorterSideSize(width: cur.width, height: cur.height, size: target)
            cur = pilResize(cur, width: w, height: h, filter: f)
        case let .pilSquashScaled(num, f):
            let n = Int((Double(size) * Double(num) / 224).rounded())
            if cur.width != n || cur.height != n { cur = pilResize(cur, width: n, height: n, filter: f) }
        case .centerCrop:
            cur = crop(cur, centerCropBox(height: cur.height, width: cur.width, cropHeight: size, cropWidth: size))
        case .randomCrop:
            cur = crop(cur, randomCropBox(height: cur.height, width: cur.width, cropHeight: size, cropWidth: size, rng: &rng))
        case let .randomResizedCrop(lo, hi, f):
            let box = randomResizedCropBox(height: cur.height, width: cur.width, scale: (lo, hi), rng: &rng)
            cur = pilResize(crop(cur, box), width: size, height: size, filter: f)
        case let .horizontalFlip(p):
            if rng.uniform() < p { cur = horizontalFlip(cur) }
        }
    }
}
