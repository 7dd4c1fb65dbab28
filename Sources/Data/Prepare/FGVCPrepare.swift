// `bench prepare` recipes for the FGVC datasets in VPT's layout (`<folder>/{train,val,test}.json` + images,
// DatasetRegistry `.fgvcJSON`), for both `<id>` and DAM-VP's `hta/<id>` (folder under `FGVC/`).
// The images come from each dataset's own archive; the labels and splits only from VPT's JSON files,
// so the .mat/.txt annotation files of the official downloads are not needed.

/// Per dataset: the official archive, the folder inside it holding the images the JSON keys name
/// (keys like "001.Black_footed_Albatross/x.jpg" for CUB, "jpg/image_06765.jpg" for Flowers), and where the
/// archive is published.
private let fgvcSources: [String: (archive: String, member: String, source: String)] = [
    "cub200": ("CUB_200_2011.tgz", "CUB_200_2011/images",
               "CUB-200-2011 from Caltech, https://data.caltech.edu/records/65de6-vp158"),
    "nabirds": ("nabirds.tar.gz", "nabirds/images",
                "NABirds from the Cornell Lab, https://dl.allaboutbirds.org/nabirds (after accepting the terms)"),
    "stanford_dogs": ("images.tar", "Images",
                      "Stanford Dogs, http://vision.stanford.edu/aditya86/ImageNetDogs/images.tar"),
    "oxford_flowers": ("102flowers.tgz", "jpg",
                       "Oxford 102 Flowers, https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz"),
    "stanford_cars": ("car_ims.tgz", "car_ims",
                      "Stanford Cars (all images), http://ai.stanford.edu/~jkrause/car196/car_ims.tgz (site offline; mirrors carry the same file)"),
]

private let splitSource = "VPT's FGVC split file (KMnP/vpt's links are dead; savadikarc/gift keeps CUB, NABirds, Flowers, Dogs under data/<name>/)"

func fgvcRecipe(_ id: String, folder: String, imageSubdir: String) -> PrepareRecipe? {
    let base = id.hasPrefix("hta/") ? String(id.dropFirst(4)) : id
    guard let src = fgvcSources[base] else { return nil }
    let memberTail = String(src.member.split(separator: "/").last!)
    // Images land where the JSON keys resolve: `<folder>/<imageSubdir>/<key>`; for Flowers and Cars the keys
    // carry the archive's own top folder (jpg/, car_ims/), so the folder is kept.
    let to = imageSubdir.isEmpty ? folder + "/" + memberTail : folder + "/" + imageSubdir
    var inputs = [PrepareInput(name: src.archive, folder: .downloads, source: src.source)]
    var steps: [PrepareStep] = [.extract(input: src.archive, from: src.member, to: to)]
    for s in ["train", "val", "test"] {
        inputs.append(PrepareInput(name: s + ".json", folder: .splits, source: splitSource))
        steps.append(.copy(input: s + ".json", to: folder + "/" + s + ".json"))
    }
    var note = "--splits is the folder holding this dataset's train.json, val.json and test.json"
    if base == "stanford_cars" {
        note += "; VPT's Stanford Cars split (car_ims/NNNNNN.jpg keys) has no known public copy (GIFT's stanfordcars/ is another split of another layout)"
    }
    if base == "oxford_flowers" { note += "; imagelabels.mat and setid.mat are not needed (labels and splits come from the JSON files)" }
    if base == "stanford_dogs" { note += "; lists.tar is not needed (the JSON files replace its train/test lists)" }
    return PrepareRecipe(dataset: id, inputs: inputs, steps: steps, owns: [folder], record: folder + "/prepared.json", note: note)
}
