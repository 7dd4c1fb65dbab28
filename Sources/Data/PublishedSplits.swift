// The published split files the papers used, recorded by SHA-256 and entry count (the files themselves are
// third-party data and are not shipped). `splitIdentity` compares a user's split file against this table.
//
// Sources (copies for tests in ../shared/data/splits, its README and MANIFEST.txt):
// - VPT's FGVC json splits for CUB, NABirds, Oxford Flowers and Stanford Dogs: KMnP/vpt's own download links
//   are dead (KMnP/vpt issues #43, #67, #72); savadikarc/gift @ f0cb80cb4db413ecd108dd7e74fef27105eb6b97
//   kept them under `data/<ds>/{train,val,test}.json` (counts equal VPT's appendix table).
// - VPT's VTAB-1k 800/200 manifest: ChengHan111/E2VPT @ 7a66e75eef6b7e15df83463d31b60eba5938d208,
//   `vtab_trainval_splits.json` (14 tasks).
// Not recorded: Stanford Cars (GIFT's split of it is its own, not VPT's; no copy of VPT's is known), the
// VTAB-1k image-folder release's .txt lists (not VPT's files), the HTA/ILM splits.

/// One published split file.
public struct PublishedSplitFile: Codable, Sendable, Equatable {
    /// Suite dataset ids that read this file.
    public var datasets: [String]
    /// Split name (`train`, `val`, `test`), or `trainval-manifest` for the VTAB-1k manifest.
    public var split: String
    public var sha256: String
    /// JSON object keys (FGVC: images; VTAB manifest: tasks).
    public var entries: Int
    /// `owner/repo@commit:path` where it is published.
    public var source: String
}

private let gift = "savadikarc/gift@f0cb80cb4db413ecd108dd7e74fef27105eb6b97:data/"
private func fgvc(_ ds: [String], _ folder: String, _ split: String, _ sha: String, _ n: Int) -> PublishedSplitFile {
    PublishedSplitFile(datasets: ds, split: split, sha256: sha, entries: n, source: gift + folder + "/" + split + ".json")
}
private let cub = ["cub200", "hta/cub200"], nabirds = ["nabirds", "hta/nabirds"]
private let flowers = ["oxford_flowers", "hta/oxford_flowers"], dogs = ["stanford_dogs", "hta/stanford_dogs"]

/// File name of VPT's VTAB-1k manifest where a VTAB root may hold it.
public let vtabManifestName = "vtab_trainval_splits.json"

public let publishedSplits: [PublishedSplitFile] = [
    fgvc(cub, "cub", "train", "2c8e8a0e70795ab5a992b51d3ab09aa2621b75bb7b34bb46fef0f910b3261f2d", 5394),
    fgvc(cub, "cub", "val", "d2bdc9030fe8682bb8a44fca9d44b7255f641195ac1a77d5f7431ed14d343f81", 600),
    fgvc(cub, "cub", "test", "1fcf560553e94b5e56681a3981d90462de91ab4ba2dd6a2a99e1e3ff71993b6e", 5794),
    fgvc(nabirds, "nabirds", "train", "3dd8255ee2fdfa21b453585b106bf52bce2245aed5fbef1329f85cbd48f5b1ea", 21536),
    fgvc(nabirds, "nabirds", "val", "5827a289857766c2e60d77c76190555affacdc9f91cad0a851357721396f514b", 2393),
    fgvc(nabirds, "nabirds", "test", "ef6e55ec7c5e1b4cad6cabd790c595553e875dd2f7b5938694a328d4b948c69d", 24633),
    fgvc(flowers, "oxfordflowers", "train", "045ea598b0de30d57a543e04d42f3f4852249fd523503eae10a7d685f91b93d1", 1020),
    fgvc(flowers, "oxfordflowers", "val", "bc77a0c0ddbba21338bc481ae9fca5a67a3b3660d0ad6e7829c2e56240bcf985", 1020),
    fgvc(flowers, "oxfordflowers", "test", "da9fc987debf0617d5093462b9d18bdce01faf76e4bc5fd66a52c74c94fbd7bf", 6149),
    fgvc(dogs, "stanforddogs", "train", "d9bfb65dc50f8e164d2b0d5195baf495c2f2fb184e42d9d774dbf90f4f76e836", 10800),
    fgvc(dogs, "stanforddogs", "val", "d9a1ebbbc6299bc80d2570c9171ba1d9ab7c8ff869f6dc54232288a6b49b97c1", 1200),
    fgvc(dogs, "stanforddogs", "test", "aed81b99b13be6ef9196bdb100c66eec0f277bc715bc9f015a2648e3fd9eb42d", 8580),
    PublishedSplitFile(datasets: ["every VTAB-1k task"], split: "trainval-manifest",
                       sha256: "812741d9e08941c675b1254af16822f3b6d86723afa85d450b06429d45b3d925", entries: 14,
                       source: "ChengHan111/E2VPT@7a66e75eef6b7e15df83463d31b60eba5938d208:" + vtabManifestName),
]
