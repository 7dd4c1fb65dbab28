import XCTest
import Foundation
@testable import Engine

/// Reads Tests/Fixtures/engine/engine_golden.json (written by make_engine_fixtures.py with PyTorch).
struct Golden {
    struct Case { let inputs: [String: Tensor]; let outputs: [String: Tensor] }
    let cases: [String: Case]
    let schedules: [String: [Double]]

    static let shared: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/engine/engine_golden.json")
        let root = try! JSONSerialization.jsonObject(with: try! Data(contentsOf: url)) as! [String: Any]
        func tensor(_ any: Any) -> Tensor {
            let d = any as! [String: Any]
            let shape = (d["shape"] as! [NSNumber]).map(\.intValue)
            return Tensor((d["data"] as! [NSNumber]).map(\.floatValue), shape: shape)
        }
        var cases: [String: Case] = [:]
        for (name, any) in root["cases"] as! [String: Any] {
            let c = any as! [String: Any]
            cases[name] = Case(
                inputs: (c["inputs"] as! [String: Any]).mapValues(tensor),
                outputs: (c["outputs"] as! [String: Any]).mapValues(tensor))
        }
        let schedules = (root["schedules"] as! [String: Any]).mapValues { ($0 as! [NSNumber]).map(\.doubleValue) }
        return Golden(cases: cases, schedules: schedules)
    }()

    static func `case`(_ name: String) -> Case { shared.cases[name]! }
}

/// Asserts max |a − e| ≤ atol + rtol·|e| elementwise.
func assertClose(_ a: Tensor, _ e: Tensor, rtol: Float = 1e-5, atol: Float = 1e-5, _ what: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, e.count, "\(what): \(a.shape) vs \(e.shape)", file: file, line: line)
    guard a.count == e.count else { return }
    var worst: Float = 0, at = 0
    for i in 0..<a.count {
        let excess = abs(a.data[i] - e.data[i]) - (atol + rtol * abs(e.data[i]))
        if excess > worst { worst = excess; at = i }
    }
    XCTAssertLessThanOrEqual(worst, 0, "\(what): element \(at) \(a.data[at]) vs \(e.data[at])", file: file, line: line)
}
