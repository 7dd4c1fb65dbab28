// Shared helpers of the method tests: golden-file parity through `Probe`, and short built-in training runs.
import XCTest
import Backbones
import Checkpoints
import Data
import Engine
import Methods
import Random
@testable import Bench

/// Max relative errors of one parity probe.
struct ParityResult { var logits: Float; var loss: Float; var worstGrad: Float; var worstGradName: String; var report: LoadReport }

extension XCTestCase {
    /// Loads `<dir>/weights.safetensors` into `method`, probes it on `<dir>/inputs.safetensors`, and compares
    /// with logits.npy, golden.json's loss and grads.safetensors (every trainable tensor, official names).
    func probeParity(_ method: PromptMethod, fixture dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> ParityResult {
        let weights = try Safetensors.load(dir.appendingPathComponent("weights.safetensors"))
        let inputs = try Safetensors.load(dir.appendingPathComponent("inputs.safetensors"))
        let x = try Golden.tensor(inputs, "x")
        let y = try Golden.tensor(inputs, "y").scalars.map { Int($0) }
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("golden.json"))) as! [String: Any]
        return try probeParity(method, weights: weights, images: x, labels: y, logits: dir.appendingPathComponent("logits.npy"),
                               loss: Float((golden["loss"] as! NSNumber).doubleValue), grads: dir.appendingPathComponent("grads.safetensors"),
                               file: file, line: line)
    }

    /// Parity of one probe against explicit golden files.
    func probeParity(_ method: PromptMethod, weights: Checkpoint, images x: Tensor, labels y: [Int], logits logitsURL: URL, loss eLoss: Float,
                     grads gradsURL: URL, file: StaticString = #filePath, line: UInt = #line) throws -> ParityResult {
        let report = try Probe.loadOfficialWeights(method, from: weights)
        let r = try Probe.run(method, images: x, labels: y)
        let eLogits = try Npy.load(logitsURL)
        XCTAssertEqual(r.logits.shape, eLogits.shape, file: file, line: line)
        let le = Golden.relError(r.logits.scalars, try eLogits.floats())
        let lossErr = abs(r.loss - eLoss) / abs(eLoss)
        let eGrads = try Safetensors.load(gradsURL)
        let ours = Dictionary(uniqueKeysWithValues: r.gradients.map { ($0.name, $0) })
        XCTAssertEqual(Set(ours.keys), Set(eGrads.names), "trainable tensors differ from the official ones", file: file, line: line)
        var worst: Float = 0, worstName = ""
        for n in eGrads.names {
            guard let g = ours[n] else { continue }
            let e = try eGrads.tensor(n)
            XCTAssertEqual(g.shape, e.shape, n, file: file, line: line)
            let err = Golden.relError(try g.floats(), try e.floats())
            if err > worst { worst = err; worstName = n }
        }
        print("parity \(method.id): logits \(le), loss \(lossErr), worst grad \(worst) (\(worstName))")
        XCTAssertLessThan(le, 1e-4, "logits", file: file, line: line)
        XCTAssertLessThan(lossErr, 1e-4, "loss \(r.loss) vs \(eLoss)", file: file, line: line)
        XCTAssertLessThan(worst, 1e-3, "gradient \(worstName)", file: file, line: line)
        return ParityResult(logits: le, loss: lossErr, worstGrad: worst, worstGradName: worstName, report: report)
    }

    /// Trains `method` with `recipe` on a built-in task (32 px, "builtin" pipeline) and returns the history.
    func trainBuiltin(_ method: PromptMethod, recipe: Recipe, task: BuiltinTask, trainImages: Int, testImages: Int, seed: UInt64 = 0) throws -> [EpochMetrics] {
        let pipeline = try Pipeline.make("builtin", size: 32)
        let train = DataLoader(dataset: BuiltinDataset(task: task, pool: 0..<trainImages, seed: seed, size: 32), pipeline: pipeline,
                               options: LoaderOptions(batchSize: recipe.batchSize, shuffle: true, dropLast: recipe.dropLast ?? false, train: true, seed: seed, cache: true))
        let test = DataLoader(dataset: BuiltinDataset(task: task, pool: 5000..<(5000 + testImages), seed: seed, size: 32), pipeline: pipeline,
                              options: LoaderOptions(batchSize: 100, shuffle: false, train: false, seed: seed, cache: true))
        let t = try Trainer(method: method, recipe: recipe, data: RunData(train: train, val: nil, test: test), seed: seed, folder: nil)
        return try t.run()
    }
}
