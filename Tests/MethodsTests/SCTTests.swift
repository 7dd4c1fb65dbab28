import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Data
import Engine
import Methods
import Random

/// SCT (`sct_attn`) against showlab/SCT's own model and salient-channel selection
/// (Tests/Fixtures/methods/sct/make_sct_golden.py).
final class SCTTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func make(_ options: MethodOptions = ["topN": .int(8)], vit: ViTConfig = Golden.tinyViT) throws -> SCT {
        try makeMethod("sct", setup: MethodSetup(backbone: .vit(ViT(vit, seed: 7)), numClasses: 5, options: options,
                                                 rng: RandomStream(3))) as! SCT
    }

    func meta() throws -> [String: Any] {
        let url = Golden.root.appendingPathComponent("sct").appendingPathComponent("meta.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func testParity() throws {
        let m = try make()
        try Golden.check(m, dir: "sct", weights: "sct.safetensors", io: "sct_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, (try meta()["trainable"] as! NSNumber).intValue)
    }

    /// Our selection on the official calibration images (batches of 10, the last one short, one single-image class)
    /// equals getSalientChannels' on the same backbone.
    func testSalientChannelsMatchOfficial() throws {
        let m = try make()
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("sct/sct.safetensors")))
        let ck = try loadCheckpoint(Golden.root.appendingPathComponent("sct/sct_calib.safetensors"))
        let x = try Golden.tensor(ck, "x"), labels = try ck.tensor("labels").floats().map { Int($0) }
        var start = 0
        let read: TrainingBatchReader = {
            guard start < labels.count else { return nil }
            let end = min(labels.count, start + 10)
            defer { start = end }
            return (x.slice(axis: 0, start, end), Array(labels[start..<end]))
        }
        let ours = try m.salientChannels(read)
        for i in 0..<Golden.tinyViT.depth {
            XCTAssertEqual(ours[i], try ck.tensor("index/\(i)").floats().map { Int($0) }, "block \(i)")
        }
        XCTAssertEqual(ours, m.channelIndex, "the probe weights carry the same selection")
    }

    /// The selection is computed at the first epoch from every training image, kept in the checkpoint state, and a
    /// resumed run restores it instead of recomputing.
    func testSelectionAtFirstEpochAndRestore() throws {
        let m = try make()
        XCTAssertNotNil(m.notReady)
        var epochsAsked: [Int] = []
        let images = Tensor((0..<(6 * 3 * 32 * 32)).map { Float(($0 * 37) % 101) / 50 - 1 }, shape: [6, 3, 32, 32])
        let data: TrainingData = { epoch in
            epochsAsked.append(epoch)
            var done = false
            return { defer { done = true }; return done ? nil : (images, [0, 1, 2, 0, 1, 2]) }
        }
        try m.epochWillBegin(0, trainingData: data)
        XCTAssertEqual(epochsAsked, [wholeTrainingSetEpoch])
        XCTAssertNil(m.notReady)
        let state = m.checkpointState()
        XCTAssertEqual(state.count, Golden.tinyViT.depth)
        let resumed = try make()
        try resumed.restore(checkpointState: state)
        try resumed.epochWillBegin(3, trainingData: data)
        XCTAssertEqual(epochsAsked.count, 1, "a restored selection is not recomputed")
        XCTAssertEqual(resumed.channelIndex, m.channelIndex)
    }

    /// The trainer's `wholeTrainingSetEpoch` reader: every training image once, in dataset order, although the
    /// training loader shuffles and drops its last partial batch (the official calibration sees all images).
    func testTrainerReaderForTheWholeTrainingSet() throws {
        let data = BuiltinDataset(task: .scenes, pool: 0..<100)
        let loader = DataLoader(dataset: data, pipeline: try Pipeline.make("builtin", size: 32),
                                options: LoaderOptions(batchSize: 32, shuffle: true, dropLast: true, train: true, seed: 1, threads: 1))
        XCTAssertEqual(loader.plan(epoch: 0).joined().count, 96)
        let read = Trainer.reader(loader)(wholeTrainingSetEpoch)
        var labels: [Int] = []
        while let (x, y) = try read() { XCTAssertEqual(x.shape[0], y.count); labels += y }
        XCTAssertEqual(labels, (0..<100).map { data.label($0) })
    }

    /// The table's 0.11 M: 12 × (96·96 + 96) adapter values on ViT-B/16 at topN 96.
    func testViTBCount() throws {
        let b16 = ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 8)
        let m = try make([:], vit: b16)
        XCTAssertEqual(m.trainableSplit.other, 111_744)
        XCTAssertEqual(m.trainableSplit.head, 768 * 5 + 5)
    }

    func testBadOptionsNameTheProblem() throws {
        XCTAssertThrowsError(try make(["tuning_mode": .string("sct_mlp")])) { XCTAssertTrue("\($0)".contains("sct_attn"), "\($0)") }
        XCTAssertThrowsError(try make(["topN": .int(32)])) { XCTAssertTrue("\($0)".contains("topN"), "\($0)") }
        let m = try make()
        XCTAssertThrowsError(try m.setChannels([[0, 1]])) { XCTAssertTrue("\($0)".contains("distinct channels"), "\($0)") }
    }
}
