import Foundation
import SweepCSV

/// A report CSV read back: one dictionary per row, keyed by column name.
package struct Report: Sendable {
    package var rows: [[String: String]]

    package init(path: String) throws {
        try self.init(bytes: Array(try TextFile.bytes(path)))
    }

    /// A report that went to standard output.
    package init(csv: String) throws {
        try self.init(bytes: Array(csv.utf8))
    }

    private init(bytes data: [UInt8]) throws {
        let reader = CSVReader()
        let records = try reader.parse(Array(data)) + (try reader.finish())
        guard let header = records.first?.fields else {
            rows = []
            return
        }
        rows = records.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.fields)) }
    }

    /// Outcome per workflow ID (the last row wins).
    package var outcomes: [String: String] { Self.outcomes(rows) }

    /// Outcome per workflow ID of `rows` (the last row wins).
    package static func outcomes(_ rows: [[String: String]]) -> [String: String] {
        Dictionary(rows.map { ($0["workflow_id"] ?? "", $0["outcome"] ?? "") }, uniquingKeysWith: { $1 })
    }
}
