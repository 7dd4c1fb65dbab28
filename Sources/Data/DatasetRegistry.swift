// Dataset registry: one dictionary literal keyed by suite dataset id (architecture.md), with the
// on-disk layout and the expected-counts row that `verifyData` and the tests check.

import Foundation

/// On-disk layout of a dataset.
public enum DatasetLayout: Equatable, Sendable {
    /// VTAB-1k image-folder release: `<root>/<folder>/{train800,val200,train800val200,test}.txt`.
    case vtabFolder(folder: String)
    /// VPT FGVC json: `<root>/<folder>/{train,val,test}.json`, images under `<root>/<folder>/<imageSubdir>`.
    case fgvcJSON(folder: String, imageSubdir: String)
    /// CIFAR python pickles in `<root>/<folder>/{cifar-10-batches-py,cifar-100-python}`.
    case cifar(folder: String, variant: CIFARVariant, rule: TrainValRule)
    /// SVHN `<root>/<folder>/{train,test}_32x32.mat`.
    case svhnMat(folder: String, rule: TrainValRule)
    /// GTSRB torchvision tree `<root>/<folder>/gtsrb/{GTSRB/Training, GTSRB/Final_Test/Images, GT-final_test.csv}`.
    case gtsrb(folder: String, rule: TrainValRule)
    /// Food-101 torchvision tree `<root>/<folder>/food-101/{meta,images}`.
    case food101(folder: String, rule: TrainValRule)
    /// DTD torchvision tree `<root>/<folder>/dtd/dtd/{labels,images}`, label lists of one partition.
    case dtd(folder: String, partition: Int)
    /// CoOp split json `<root>/<folder>/<splitFile>`, images under `<root>/<folder>/<imageSubdir>`.
    case coopSplit(folder: String, splitFile: String, imageSubdir: String)
    /// VTAB-1k task from TFDS TFRecords; `root` is the TFDS data dir.
    case vtabTFDS(VTABTFDSTask)
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

private func spec(_ layout: DatasetLayout, _ classes: Int, _ splits: [String: Int?]) -> DatasetSpec {
    DatasetSpec(layout: layout, expected: ExpectedCounts(classes: classes, splits: splits))
}

private func tfds(_ builder: String, config: String? = nil, _ version: String, _ classes: Int, _ label: TFDSLabelRule = .key("label"),
                  val: VTABValSource, test: VTABTestSource = .split("test"), vtabTest: Int?, pixelScale: UInt8 = 1) -> DatasetSpec {
    spec(.vtabTFDS(VTABTFDSTask(builder: builder, config: config, version: version, numClasses: classes, label: label,
                                valFrom: val, test: test, pixelScale: pixelScale)),
         classes, ["train800": 800, "val200": 200, "train800val200": 1000, "test": vtabTest])
}

/// Readers by dataset id. VTAB test sizes are the published VTAB-1k test-split sizes (VTAB paper /
/// SSF-NOAH release); FGVC sizes are VPT's json splits (VPT paper appendix table; CUB also in methods/vpt.md).
/// VTAB-1k ids are `vtab1k/<task>`, the benchmark's own name as cell ids spell it (`vtab1k/cifar100/vpt-deep/…`);
/// the old spelling `vtab/<task>` is still accepted (`resolveDatasetId`, with a note naming the new one).
///
/// `hta/<id>`: the HTA benchmark exactly as DAM-VP's loaders read it; `root` = DAM-VP's `--base_dir`
/// (`torchvision_dataset/...`, `FGVC/<name>`, `data_utils/loader.py:_DATA_DIR_CATALOG`). Split sizes:
/// CIFAR 40,000 / 10,000 (methods/dam_vp.md §4) and test 10,000 (TFDS catalog cifar10 / the vtab1k/cifar100
/// row); SVHN train 58,605 (dam_vp.md), train_32x32 73,257 and test 26,032 (TFDS catalog svhn_cropped), val =
/// 73,257 − 58,605; Food-101 750 train / 250 test images per class × 101 (torchvision Food101 docstring, also
/// in DAM-VP's copy) → 75,750 → int(0.8·N) = 60,600 / 15,150, test 25,250; DTD partition 1 = 1,880 per split
/// (mmpretrain DTD docstring: trainval 3,760, test 1,880); GTSRB: no readable source for the torchvision
/// `GTSRB-Training_fixed` / test sizes, so nil. FGVC rows repeat the VPT json sizes above.
///
/// `ilm13/<id>`: ILM-VP's 13 tasks (methods/ilm_vp.md §3; `data/prepare_data.py`), `root` = ILM-VP's
/// `data_path` (`<root>/<dataset>/...`): torchvision train/test for CIFAR-10/100, SVHN, GTSRB (full official
/// train, no val), CoOp `split.json` for the 8 CoOp datasets (CoOp split sizes not verified from a readable
/// source here: nil). NOTE: ILM-VP's scripts read an LMDB conversion of the CoOp split (`COOPLMDBDataset`);
/// we read the image-folder form that its `COOPDataset` reads (`<root>/<dataset>/split.json` + `images/`),
/// the same samples in split-file order. ABIDE (the 13th task, its own .npy loader) is not registered.
///
/// `vtab-tfds/<id>`: VTAB-1k from TFDS TFRecords as VPT builds it (`root` = TFDS data_dir, versions from
/// VPT's VTAB_SETUP.md); test sizes equal the vtab1k/ rows (same VTAB-1k test splits).
public let datasetRegistry: [String: DatasetSpec] = [
    "vtab1k/caltech101": vtab("caltech101", 102, test: 6084),
    "vtab1k/cifar100": vtab("cifar", 100, test: 10000),
    "vtab1k/dtd": vtab("dtd", 47, test: 1880),
    "vtab1k/oxford_flowers102": vtab("oxford_flowers102", 102, test: 6149),
    "vtab1k/oxford_pet": vtab("oxford_iiit_pet", 37, test: 3669),
    "vtab1k/svhn": vtab("svhn", 10, test: 26032),
    "vtab1k/sun397": vtab("sun397", 397, test: 21750),
    "vtab1k/patch_camelyon": vtab("patch_camelyon", 2, test: 32768),
    "vtab1k/eurosat": vtab("eurosat", 10, test: 5400),
    "vtab1k/resisc45": vtab("resisc45", 45, test: 6300),
    "vtab1k/retinopathy": vtab("diabetic_retinopathy", 5, test: 42670),
    "vtab1k/clevr_count": vtab("clevr_count", 8, test: 15000),
    "vtab1k/clevr_dist": vtab("clevr_dist", 6, test: 15000),
    "vtab1k/dmlab": vtab("dmlab", 6, test: 22735),
    "vtab1k/kitti_dist": vtab("kitti", 4, test: 711),
    "vtab1k/dsprites_loc": vtab("dsprites_loc", 16, test: 73728),
    "vtab1k/dsprites_ori": vtab("dsprites_ori", 16, test: 73728),
    "vtab1k/smallnorb_azi": vtab("smallnorb_azi", 18, test: 12150),
    "vtab1k/smallnorb_ele": vtab("smallnorb_ele", 9, test: 12150),
    "cub200": fgvc("CUB_200_2011", "images", 200, 5394, 600, 5794),
    "nabirds": fgvc("nabirds", "images", 555, 21536, 2393, 24633),
    "stanford_dogs": fgvc("Stanford-dogs", "Images", 120, 10800, 1200, 8580),
    "oxford_flowers": fgvc("OxfordFlower", "", 102, 1020, 1020, 6149),
    "stanford_cars": fgvc("Stanford-cars", "", 196, 7329, 815, 8041),

    "hta/cifar10": spec(.cifar(folder: "torchvision_dataset", variant: .cifar10, rule: .headTail(percent: 80)), 10,
                        ["train": 40000, "val": 10000, "test": 10000]),
    "hta/cifar100": spec(.cifar(folder: "torchvision_dataset", variant: .cifar100, rule: .headTail(percent: 80)), 100,
                         ["train": 40000, "val": 10000, "test": 10000]),
    "hta/svhn": spec(.svhnMat(folder: "torchvision_dataset", rule: .headTail(percent: 80)), 10,
                     ["train": 58605, "val": 14652, "test": 26032]),
    "hta/gtsrb": spec(.gtsrb(folder: "torchvision_dataset", rule: .pythonShuffled(seed: 2023, percent: 80)), 43,
                      ["train": nil, "val": nil, "test": nil]),
    "hta/food101": spec(.food101(folder: "torchvision_dataset", rule: .pythonShuffled(seed: 2023, percent: 80)), 101,
                        ["train": 60600, "val": 15150, "test": 25250]),
    "hta/dtd": spec(.dtd(folder: "torchvision_dataset", partition: 1), 47, ["train": 1880, "val": 1880, "test": 1880]),
    "hta/cub200": fgvc("FGVC/CUB_200_2011", "images", 200, 5394, 600, 5794),
    "hta/nabirds": fgvc("FGVC/nabirds", "images", 555, 21536, 2393, 24633),
    "hta/stanford_dogs": fgvc("FGVC/Stanford-dogs", "Images", 120, 10800, 1200, 8580),
    "hta/oxford_flowers": fgvc("FGVC/OxfordFlower", "", 102, 1020, 1020, 6149),

    "ilm13/cifar10": spec(.cifar(folder: "cifar10", variant: .cifar10, rule: .official), 10, ["train": 50000, "test": 10000]),
    "ilm13/cifar100": spec(.cifar(folder: "cifar100", variant: .cifar100, rule: .official), 100, ["train": 50000, "test": 10000]),
    "ilm13/svhn": spec(.svhnMat(folder: "svhn", rule: .official), 10, ["train": 73257, "test": 26032]),
    "ilm13/gtsrb": spec(.gtsrb(folder: "gtsrb", rule: .official), 43, ["train": nil, "test": nil]),
    "ilm13/food101": spec(.coopSplit(folder: "food101", splitFile: "split.json", imageSubdir: "images"), 101, ["train": nil, "test": nil]),
    "ilm13/eurosat": spec(.coopSplit(folder: "eurosat", splitFile: "split.json", imageSubdir: "images"), 10, ["train": nil, "test": nil]),
    "ilm13/sun397": spec(.coopSplit(folder: "sun397", splitFile: "split.json", imageSubdir: "images"), 397, ["train": nil, "test": nil]),
    "ilm13/ucf101": spec(.coopSplit(folder: "ucf101", splitFile: "split.json", imageSubdir: "images"), 101, ["train": nil, "test": nil]),
    "ilm13/stanford_cars": spec(.coopSplit(folder: "stanfordcars", splitFile: "split.json", imageSubdir: "images"), 196, ["train": nil, "test": nil]),
    "ilm13/oxford_flowers102": spec(.coopSplit(folder: "flowers102", splitFile: "split.json", imageSubdir: "images"), 102, ["train": nil, "test": nil]),
    "ilm13/dtd": spec(.coopSplit(folder: "dtd", splitFile: "split.json", imageSubdir: "images"), 47, ["train": nil, "test": nil]),
    "ilm13/oxford_pet": spec(.coopSplit(folder: "oxfordpets", splitFile: "split.json", imageSubdir: "images"), 37, ["train": nil, "test": nil]),

    // VPT `vtab_datasets/*.py`: val200 source and test split per task (methods/vpt.md §4 table).
    "vtab-tfds/caltech101": tfds("caltech101", "3.0.1", 102, val: .trainPercent(90), vtabTest: 6084),
    "vtab-tfds/cifar100": tfds("cifar100", "3.0.2", 100, val: .trainPercent(90), vtabTest: 10000),
    "vtab-tfds/dtd": tfds("dtd", "3.0.1", 47, val: .validation, vtabTest: 1880),
    "vtab-tfds/oxford_flowers102": tfds("oxford_flowers102", "2.1.1", 102, val: .validation, vtabTest: 6149),
    "vtab-tfds/oxford_pet": tfds("oxford_iiit_pet", "3.2.0", 37, val: .trainPercent(80), vtabTest: 3669),
    "vtab-tfds/svhn": tfds("svhn_cropped", "3.0.0", 10, val: .trainPercent(90), vtabTest: 26032),
    "vtab-tfds/sun397": tfds("sun397", config: "tfds", "4.0.0", 397, val: .validation, vtabTest: 21750),
    "vtab-tfds/patch_camelyon": tfds("patch_camelyon", "2.0.0", 2, val: .validation, vtabTest: 32768),
    "vtab-tfds/eurosat": tfds("eurosat", config: "rgb", "2.0.0", 10, val: .trainPercent(60), test: .trainTail(percents: [60, 20]), vtabTest: 5400),
    "vtab-tfds/resisc45": tfds("resisc45", "3.0.0", 45, val: .trainPercent(60), test: .trainTail(percents: [60, 20]), vtabTest: 6300),
    "vtab-tfds/retinopathy": tfds("diabetic_retinopathy_detection", config: "btgraham-300", "3.0.0", 5, val: .validation, vtabTest: 42670),
    "vtab-tfds/clevr_count": tfds("clevr", "3.1.0", 8, .countMinus(key: "objects/size", offset: 3),
                                  val: .trainPercent(90), test: .split("validation"), vtabTest: 15000),
    "vtab-tfds/clevr_dist": tfds("clevr", "3.1.0", 6, .distanceBin(key: "objects/pixel_coords", stride: 3, component: 2,
                                                                   thresholds: [0, 8, 8.5, 9, 9.5, 10, 100],
                                                                   filterKey: nil, filterBelow: 0, sentinel: nil),
                                 val: .trainPercent(90), test: .split("validation"), vtabTest: 15000),
    "vtab-tfds/dmlab": tfds("dmlab", "2.0.1", 6, val: .validation, vtabTest: 22735),
    // kitti(task="closest_vehicle_distance"): vehicles = objects/type < 3 (Car, Van, Truck), z = location[:, 2],
    // 1000 appended, bins at [-100, 8, 20, 999] → 4 classes.
    "vtab-tfds/kitti_dist": tfds("kitti", "3.2.0", 4, .distanceBin(key: "objects/location", stride: 3, component: 2,
                                                                  thresholds: [-100, 8, 20, 999],
                                                                  filterKey: "objects/type", filterBelow: 3, sentinel: 1000),
                                 val: .validation, vtabTest: 711),
    // dSprites: 32 x-positions and 40 orientations (dSprites README) binned to 16 classes; images are 0/1, ×255.
    "vtab-tfds/dsprites_loc": tfds("dsprites", "2.0.0", 16, .floorDiv(key: "label_x_position", factor: 32.0 / 16),
                                   val: .trainPercent(80), test: .trainTail(percents: [80, 10]), vtabTest: 73728, pixelScale: 255),
    "vtab-tfds/dsprites_ori": tfds("dsprites", "2.0.0", 16, .floorDiv(key: "label_orientation", factor: 40.0 / 16),
                                   val: .trainPercent(80), test: .trainTail(percents: [80, 10]), vtabTest: 73728, pixelScale: 255),
    "vtab-tfds/smallnorb_azi": tfds("smallnorb", "2.0.0", 18, .key("label_azimuth"), val: .test, test: .split("test[50%:]"), vtabTest: 12150),
    "vtab-tfds/smallnorb_ele": tfds("smallnorb", "2.0.0", 9, .key("label_elevation"), val: .test, test: .split("test[50%:]"), vtabTest: 12150),
]

/// Old id prefixes still accepted, mapped to the registered one (the VTAB-1k ids were `vtab/<task>` until they took
/// the benchmark's name, so that cell ids and dataset ids spell a task the same way).
public let legacyDatasetIdPrefixes: [(old: String, new: String)] = [("vtab/", "vtab1k/")]

/// Ids that were renamed, still accepted: `ilm13/oxford_flowers` became `ilm13/oxford_flowers102` so that it matches the
/// paper tables' ILM-VP dataset id (KnownIds.ilm13Datasets); before, those cells found no reader.
public let renamedDatasetIds = ["ilm13/oxford_flowers": "ilm13/oxford_flowers102"]

/// The registered id for `id`, and, when `id` is an old spelling, a note naming the new one (callers print it).
public func resolveDatasetId(_ id: String) -> (id: String, note: String?) {
    if let renamed = renamedDatasetIds[id] { return (renamed, "note: dataset id \(id) was renamed; use \(renamed)") }
    for (old, new) in legacyDatasetIdPrefixes where id.hasPrefix(old) {
        let renamed = new + id.dropFirst(old.count)
        guard datasetRegistry[renamed] != nil else { continue }
        return (renamed, "note: dataset id \(id) is the old spelling; use \(renamed)")
    }
    return (id, nil)
}

/// A dataset that can name the file(s) it was read from (used by `verifyData`).
public protocol NamedSource {
    var sourceDescription: String { get }
}
extension ListedDataset: NamedSource { public var sourceDescription: String { listFile } }
extension ArrayImageDataset: NamedSource { public var sourceDescription: String { source } }

/// Opens split `split` of dataset `id` under `root` through its registered reader (an old id spelling, `vtab/<task>`,
/// is accepted as its new one); a bad split file is
/// refused with all of its problems (`DataError.problems`). `labelMapping` applies to FGVC json splits.
public func openDataset(root: String, id: String, split: String, checkFiles: Bool = true,
                        labelMapping: FGVCLabelMapping = .official) throws -> any ImageDataset {
    let (d, problems) = try scanDataset(root: root, id: id, split: split, checkFiles: checkFiles, labelMapping: labelMapping)
    if !problems.isEmpty { throw DataError.problems(problems) }
    return d
}

/// Like `openDataset` but returns the good samples together with every problem found. The list and json
/// readers collect problems line by line; the other readers (pickles, .mat, CSV, CoOp, TFDS) still throw
/// at their first problem.
public func scanDataset(root: String, id: String, split: String, checkFiles: Bool = true,
                        labelMapping: FGVCLabelMapping = .official) throws -> (any ImageDataset, [DataProblem]) {
    let id = resolveDatasetId(id).id
    guard let spec = datasetRegistry[id] else { throw DataError.unknownDataset(id: id) }
    let classes = spec.expected.classes
    switch spec.layout {
    case let .cifar(folder, variant, rule):
        return (try openCIFAR(id: id, root: root + "/" + folder, variant: variant, split: split, rule: rule), [])
    case let .svhnMat(folder, rule):
        return (try openSVHN(id: id, root: root + "/" + folder, split: split, rule: rule), [])
    case let .gtsrb(folder, rule):
        return (try openGTSRB(id: id, root: root + "/" + folder, split: split, rule: rule, checkFiles: checkFiles), [])
    case let .food101(folder, rule):
        return (try openFood101(id: id, root: root + "/" + folder, split: split, rule: rule, checkFiles: checkFiles), [])
    case let .dtd(folder, partition):
        return (try openDTD(id: id, root: root + "/" + folder, split: split, partition: partition, checkFiles: checkFiles), [])
    case let .coopSplit(folder, file, images):
        let dir = root + "/" + folder
        guard FileManager.default.fileExists(atPath: dir) else { throw DataError.missingRoot(path: dir) }
        return (try openCoOpSplit(id: id, splitFile: dir + "/" + file, imageDir: dir + "/" + images, split: split,
                                  numClasses: classes, checkFiles: checkFiles), [])
    case let .vtabTFDS(task):
        return (try openVTABTFDS(id: id, root: root, task: task, split: split), [])
    case let .vtabFolder(folder):
        guard let s = VTABSplit(rawValue: split) else { throw DataError.badSplit(spec: split, reason: "VTAB splits are \(VTABSplit.allCases.map(\.rawValue))") }
        return try ListedDataset.scanVTABFolder(id: id, taskDir: root + "/" + folder, split: s, numClasses: classes, checkFiles: checkFiles)
    case let .fgvcJSON(folder, images):
        let dir = root + "/" + folder
        return try ListedDataset.scanFGVCJSON(id: id, datasetDir: dir, imageDir: images.isEmpty ? dir : dir + "/" + images,
                                              split: split, numClasses: classes, checkFiles: checkFiles, labelMapping: labelMapping)
    }
}
