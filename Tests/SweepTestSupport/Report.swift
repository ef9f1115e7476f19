import Foundation
import SweepCSV

/// A report CSV read back: one dictionary per row, keyed by column name.
package struct Report: Sendable {
    /// One per workflow outcome.
    package var rows: [[String: String]]
    /// The rows that record each run that wrote the report (``RunProvenance``), oldest first.
    package var runs: [[String: String]]

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
            (rows, runs) = ([], [])
            return
        }
        let all = records.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.fields)) }
        rows = all.filter { !Self.isRun($0) }
        runs = all.filter(Self.isRun)
    }

    /// The row that records a run (an empty workflow ID, outcome `sweep_started`).
    private static func isRun(_ row: [String: String]) -> Bool {
        row["workflow_id"] == "" && row["outcome"] == "sweep_started"
    }

    /// Outcome per workflow ID (the last row wins).
    package var outcomes: [String: String] { Self.outcomes(rows) }

    /// Outcome per workflow ID of `rows` (the last row wins).
    package static func outcomes(_ rows: [[String: String]]) -> [String: String] {
        Dictionary(rows.map { ($0["workflow_id"] ?? "", $0["outcome"] ?? "") }, uniquingKeysWith: { $1 })
    }
}
