import XCTest
@testable import PaperTables
import Tabular

final class CSVTests: XCTestCase {
    func testQuotesCommasNewlinesAndEmptyFields() throws {
        let text = "a,b,c\n\"x, y\",\"he said \"\"hi\"\"\",\n\"line1\nline2\",,z\n"
        let recs = try CSVReader.parse(text, file: "t.csv")
        XCTAssertEqual(recs.count, 3)
        XCTAssertEqual(recs[1].fields, ["x, y", "he said \"hi\"", ""])
        XCTAssertEqual(recs[2].fields, ["line1\nline2", "", "z"])
        XCTAssertEqual(recs[2].line, 3)
        XCTAssertEqual(recs[2].endLine, 4)
    }

    func testNoTrailingNewlineAndCRLF() throws {
        XCTAssertEqual(try CSVReader.parse("a,b\r\n1,2", file: "t").map(\.fields), [["a", "b"], ["1", "2"]])
    }

    func testLineNumbersAfterMultilineField() throws {
        let recs = try CSVReader.parse("h1,h2\n\"a\nb\nc\",1\nd,2\n", file: "t")
        XCTAssertEqual(recs.map(\.line), [1, 2, 5])
    }

    func testMalformedQuoteNamesFileAndLine() {
        let text = "a,b\n1,2\n3,x\"y\"z\"\n"
        XCTAssertThrowsError(try CSVReader.parse(text, file: "bad.csv")) { e in
            let err = e as! CSVError
            XCTAssertEqual(err.file, "bad.csv")
            XCTAssertEqual(err.line, 3)
            XCTAssertTrue(String(describing: err).hasPrefix("bad.csv:3:"))
        }
    }

    func testUnclosedQuoteAtEnd() {
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,\"open\n", file: "u.csv")) { e in
            XCTAssertEqual((e as! CSVError).line, 2)
        }
    }

    func testWrongFieldCountNamesLine() throws {
        let path = NSTemporaryDirectory() + "ptt-\(UUID().uuidString).csv"
        try "a,b,c\n1,2,3\n4,5\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try CSVReader.read(file: path)) { e in
            let err = e as! CSVError
            XCTAssertEqual(err.line, 3)
            XCTAssertEqual(err.file, path)
            XCTAssertTrue(err.message.contains("expected 3 fields, found 2"))
        }
    }

    func testWriterRoundTrip() throws {
        let rows = [["plain", "with,comma", "with \"quote\"", "multi\nline", "", " padded "]]
        let text = CSVWriter.text(header: ["a", "b", "c", "d", "e", "f"], rows: rows)
        XCTAssertTrue(text.hasPrefix("a,b,c,d,e,f\nplain,\"with,comma\",\"with \"\"quote\"\"\""))
        let back = try CSVReader.parse(text, file: "rt")
        XCTAssertEqual(back[1].fields, rows[0])
    }
}
