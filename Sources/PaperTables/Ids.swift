// The one place that lists the ids paper tables may use (architecture.md, "Names that stay stable").

/// Known benchmark, dataset, group and backbone ids.
public enum KnownIds {
    public static let htaDatasets = ["cifar10", "cifar100", "dtd", "cub200", "nabirds", "stanford_dogs",
                                     "oxford_flowers", "food101", "gtsrb", "svhn", "stanford_cars"]
    public static let fgvcDatasets = ["cub200", "nabirds", "oxford_flowers", "stanford_dogs", "stanford_cars"]
    public static let vtabGroups: [(group: String, datasets: [String])] = [
        ("natural", ["caltech101", "cifar100", "dtd", "oxford_flowers102", "oxford_pet", "svhn", "sun397"]),
        ("specialized", ["patch_camelyon", "eurosat", "resisc45", "retinopathy"]),
        ("structured", ["clevr_count", "clevr_dist", "dmlab", "kitti_dist", "dsprites_loc", "dsprites_ori",
                        "smallnorb_azi", "smallnorb_ele"]),
    ]
    public static var vtabDatasets: [String] { vtabGroups.flatMap { $0.datasets } }
    /// ILM-VP's 13 target datasets (ids follow the HTA/VTAB spelling where the dataset is shared).
    public static let ilm13Datasets = ["cifar10", "cifar100", "svhn", "gtsrb", "oxford_flowers102", "dtd", "ucf101",
                                       "food101", "eurosat", "oxford_pet", "stanford_cars", "sun397", "abide"]

    /// Datasets of each benchmark id.
    public static let benchmarks: [String: [String]] = [
        "hta": htaDatasets, "fgvc": fgvcDatasets, "vtab1k": vtabDatasets, "ilm13": ilm13Datasets,
    ]
    /// Columns that are means of other columns of the same row.
    public static let meanColumns = ["mean_natural", "mean_specialized", "mean_structured", "mean"]
    public static let groups = ["", "natural", "specialized", "structured"]

    /// Backbone ids; `clip` stands for a CLIP image encoder whose variant the source does not state.
    public static let backbones = ["vit-b16-in21k", "vit-b16-mae", "vit-b16-mocov3", "swin-b-in22k",
                                   "resnet18-in1k", "resnet50-in1k", "resnext101-32x8d-ig", "clip-vit-b32", "clip"]

    /// The VTAB group of a dataset, or nil outside VTAB-1k.
    public static func vtabGroup(of dataset: String) -> String? {
        vtabGroups.first { $0.datasets.contains(dataset) }?.group
    }

    /// The datasets a group-mean column averages, within a benchmark.
    public static func datasets(averagedBy column: String, benchmark: String) -> [String]? {
        switch column {
        case "mean_natural", "mean_specialized", "mean_structured":
            let g = String(column.dropFirst("mean_".count))
            return vtabGroups.first { $0.group == g }?.datasets
        case "mean": return benchmarks[benchmark]
        default: return nil
        }
    }
}
