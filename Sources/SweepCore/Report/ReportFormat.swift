package import Foundation
import SweepCSV
import SweepGRPC

/// The report's CSV format: one row per job, in the order outcomes are reached.
///
/// Cells are neutralised against CSV formula injection: a cell that starts with `=`, `+`, `-`,
/// `@`, a tab or a CR (or with the escape character `'` itself) gets a leading `'`, so a
/// spreadsheet shows it as text. ``ReportJournal`` removes it again when reading a report back.
package enum ReportFormat {
    package static let columns = [
        "workflow_id", "run_id", "action", "outcome", "grpc_code", "message", "attempts", "latency_ms", "finished_at",
        "final_status",
    ]

    /// The header line.
    package static var header: String { CSVWriter.row(columns) }

    /// One row for `result`, neutralised and quoted by libcsv where needed.
    package static func row(_ result: JobResult) -> String {
        CSVWriter.row(
            [
                result.job.target.workflowID,
                result.runID ?? "",
                result.action?.rawValue ?? "",
                result.outcome.rawValue,
                result.code?.description ?? "",
                result.message,
                String(result.attempts),
                String(format: "%.1f", result.latency.inMilliseconds),
                timestamp(result.finishedAt),
                result.finalStatus?.rawValue ?? "",
            ].map(neutralize)
        )
    }

    /// Prefixes `'` to a cell a spreadsheet would read as a formula (and to one starting with `'`).
    package static func neutralize(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r'".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }

    /// Undoes ``neutralize(_:)``.
    package static func restore(_ cell: String) -> String {
        cell.hasPrefix("'") ? String(cell.dropFirst()) : cell
    }

    /// Reads back a ``timestamp(_:)``.
    package static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// RFC 3339 with milliseconds, UTC.
    package static func timestamp(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
