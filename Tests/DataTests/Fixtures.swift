import Foundation
import XCTest

/// Paths of the committed fixtures (Tests/Fixtures/data), found from this file's location.
enum Fixtures {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/data").path
    }()
    static func path(_ rel: String) -> String { root + "/" + rel }
    static func bytes(_ rel: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path(rel)) else {
            throw NSError(domain: "Fixtures", code: 1, userInfo: [NSLocalizedDescriptionKey: "missing fixture \(rel)"])
        }
        return [UInt8](d)
    }
    static func json(_ rel: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Foundation.Data(try bytes(rel)))
    }
    static func floats(_ rel: String) throws -> [Float] {
        let b = try bytes(rel)
        return b.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
