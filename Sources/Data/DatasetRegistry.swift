// Dataset registry: one dictionary literal keyed by suite dataset id (architecture.md), with the
// on-disk layout and the expected-counts row that `verifyData` and the tests check.

/// On-disk layout of a dataset.
public enum DatasetLayout: Equatable, Sendable {
    /// VTAB-1k image-folder release: `<root>/<folder>/{train800,val200,train800val200,test}.txt`.
    case vtabFolder(folder: String)
    /// VPT FGVC json: `<root>/<folder>/{train,val,test}.json`, images under `<root>/<folder>/<imageSubdir>`.
    case fgvcJSON(folder: String, imageSubdir: String)
}

/// Expected split sizes (nil = not verified from an official source) and class count.
public struct ExpectedCounts: Equatable, Sendable {
    public var classes: Int
    public var splits: [String: Int?]
}

/// A registry row: layout plus expected counts.
public struct DatasetSpec: Equatable, Sendable {
    public var layout: DatasetLayout
    public var expected: ExpectedCounts
}

private func vtab(_ folder: String, _ classes: Int, test: Int?) -> DatasetSpec {
    DatasetSpec(layout: .vtabFolder(folder: folder),
                expected: ExpectedCounts(classes: classes, splits: ["train800": 800, "val200": 200, "train800val200": 1000, "test": test]))
}

private func fgvc(_ folder: String, _ images: String, _ classes: Int, _ tr: Int?, _ va: Int?, _ te: Int?) -> DatasetSpec {
    DatasetSpec(layout: .fgvcJSON(folder: folder, imageSubdir: images),
                expected: ExpectedCounts(classes: classes, splits: ["train": tr, "val": va, "test": te]))
}

/// Readers by dataset id. VTAB test sizes are the published VTAB-1k test-split sizes (VTAB paper /
/// SSF-NOAH release); FGVC sizes are VPT's json splits (VPT paper appendix table; CUB also in methods/vpt.md).
/// VTAB ids get a `vtab/` prefix where an FGVC/HTA dataset has the same id (cifar100, dtd, svhn).
/// CIFAR pickles and GTSRB CSV readers are provided elsewhere and not registered here.
public let datasetRegistry: [String: DatasetSpec] = [
    "vtab/caltech101": vtab("caltech101", 102, test: 6084),
    "vtab/cifar100": vtab("cifar", 100, test: 10000),
    "vtab/dtd": vtab("dtd", 47, test: 1880),
    "vtab/oxford_flowers102": vtab("oxford_flowers102", 102, test: 6149),
    "vtab/oxford_pet": vtab("oxford_iiit_pet", 37, test: 3669),
    "vtab/svhn": vtab("svhn", 10, test: 26032),
    "vtab/sun397": vtab("sun397", 397, test: 21750),
    "vtab/patch_camelyon": vtab("patch_camelyon", 2, test: 32768),
    "vtab/eurosat": vtab("eurosat", 10, test: 5400),
    "vtab/resisc45": vtab("resisc45", 45, test: 6300),
    "vtab/retinopathy": vtab("diabetic_retinopathy", 5, test: 42670),
    "vtab/clevr_count": vtab("clevr_count", 8, test: 15000),
    "vtab/clevr_dist": vtab("clevr_dist", 6, test: 15000),
    "vtab/dmlab": vtab("dmlab", 6, test: 22735),
    "vtab/kitti_dist": vtab("kitti", 4, test: 711),
    "vtab/dsprites_loc": vtab("dsprites_loc", 16, test: 73728),
    "vtab/dsprites_ori": vtab("dsprites_ori", 16, test: 73728),
    "vtab/smallnorb_azi": vtab("smallnorb_azi", 18, test: 12150),
    "vtab/smallnorb_ele": vtab("smallnorb_ele", 9, test: 12150),
    "cub200": fgvc("CUB_200_2011", "images", 200, 5394, 600, 5794),
    "nabirds": fgvc("nabirds", "images", 555, 21536, 2393, 24633),
    "stanford_dogs": fgvc("Stanford-dogs", "Images", 120, 10800, 1200, 8580),
    "oxford_flowers": fgvc("OxfordFlower", "", 102, 1020, 1020, 6149),
    "stanford_cars": fgvc("Stanford-cars", "", 196, 7329, 815, 8041),
]

/// Opens split `split` of dataset `id` under `root` through its registered reader.
public func openDataset(root: String, id: String, split: String, checkFiles: Bool = true) throws -> ListedDataset {
    guard let spec = datasetRegistry[id] else { throw DataError.unknownDataset(id: id) }
    switch spec.layout {
    case let .vtabFolder(folder):
        guard let s = VTABSplit(rawValue: split) else { throw DataError.badSplit(spec: split, reason: "VTAB splits are \(VTABSplit.allCases.map(\.rawValue))") }
        return try ListedDataset.vtabFolder(id: id, taskDir: root + "/" + folder, split: s, numClasses: spec.expected.classes, checkFiles: checkFiles)
    case let .fgvcJSON(folder, images):
        let dir = root + "/" + folder
        return try ListedDataset.fgvcJSON(id: id, datasetDir: dir, imageDir: images.isEmpty ? dir : dir + "/" + images,
                                          split: split, numClasses: spec.expected.classes, checkFiles: checkFiles)
    }
}
