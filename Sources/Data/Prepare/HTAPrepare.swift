// `bench prepare` recipes for the torchvision-format datasets DAM-VP's HTA and ILM-VP read (DatasetRegistry
// `.cifar`, `.svhnMat`, `.gtsrb`, `.dtd`, `.food101`): the files torchvision's own `download=True` fetches,
// laid out as torchvision extracts them. The DAM-VP train/val splits are not files: the readers replay them
// (`TrainValRule`), so these datasets need no split files.

private let cifarSource = "https://www.cs.toronto.edu/~kriz/"
private let gtsrbSource = "GTSRB as torchvision downloads it, https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"

private func download(_ name: String, _ source: String) -> PrepareInput {
    PrepareInput(name: name, folder: .downloads, source: source)
}

func htaRecipe(_ id: String, layout: DatasetLayout) -> PrepareRecipe? {
    switch layout {
    case let .cifar(folder, variant, _):
        let archive = variant == .cifar10 ? "cifar-10-python.tar.gz" : "cifar-100-python.tar.gz"
        let dir = folder + "/" + variant.folder
        return PrepareRecipe(dataset: id, inputs: [download(archive, cifarSource + archive)],
                             steps: [.extract(input: archive, from: variant.folder, to: dir)],
                             owns: [dir], record: dir + "/prepared.json")
    case let .svhnMat(folder, _):
        let files = ["train_32x32.mat", "test_32x32.mat"]
        return PrepareRecipe(dataset: id, inputs: files.map { download($0, "http://ufldl.stanford.edu/housenumbers/" + $0) },
                             steps: files.map { .copy(input: $0, to: folder + "/" + $0) },
                             owns: files.map { folder + "/" + $0 }, record: folder + "/svhn.prepared.json",
                             note: "extra_32x32.mat is not used")
    case let .gtsrb(folder, _):
        let dir = folder + "/gtsrb"
        let zips = ["GTSRB-Training_fixed.zip", "GTSRB_Final_Test_Images.zip", "GTSRB_Final_Test_GT.zip"]
        return PrepareRecipe(dataset: id, inputs: zips.map { download($0, gtsrbSource + $0) },
                             steps: [.extract(input: zips[0], from: "GTSRB/Training", to: dir + "/GTSRB/Training"),
                                     .extract(input: zips[1], from: "GTSRB/Final_Test/Images", to: dir + "/GTSRB/Final_Test/Images"),
                                     .extract(input: zips[2], from: "", to: dir)],
                             owns: [dir], record: dir + "/prepared.json")
    case let .dtd(folder, _):
        let dir = folder + "/dtd"
        let archive = "dtd-r1.0.1.tar.gz"
        return PrepareRecipe(dataset: id, inputs: [download(archive, "https://www.robots.ox.ac.uk/~vgg/data/dtd/download/" + archive)],
                             steps: [.extract(input: archive, from: "dtd", to: dir + "/dtd")],
                             owns: [dir], record: dir + "/prepared.json")
    case let .food101(folder, _):
        let dir = folder + "/food-101"
        let archive = "food-101.tar.gz"
        return PrepareRecipe(dataset: id, inputs: [download(archive, "http://data.vision.ee.ethz.ch/cvl/" + archive)],
                             steps: [.extract(input: archive, from: "food-101", to: dir)],
                             owns: [dir], record: dir + "/prepared.json")
    default:
        return nil
    }
}

/// Every registered dataset `bench prepare` can build, by registry id.
public let prepareRecipes: [String: PrepareRecipe] = {
    var out: [String: PrepareRecipe] = [:]
    for (id, spec) in datasetRegistry {
        let r: PrepareRecipe?
        if case let .fgvcJSON(folder, images) = spec.layout { r = fgvcRecipe(id, folder: folder, imageSubdir: images) }
        else { r = htaRecipe(id, layout: spec.layout) }
        if let r = r { out[id] = r }
    }
    return out
}()
