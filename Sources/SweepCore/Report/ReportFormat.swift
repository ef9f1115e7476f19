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
                milliseconds(result.latency),
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

    /// A duration in milliseconds with one decimal (`12.3`, half up), without the cost of
    /// `String(format:)` (a report row is written per workflow).
    package static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = max(0, seconds * 10_000 + (attoseconds + 50_000_000_000_000) / 100_000_000_000_000)
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// RFC 3339 with milliseconds, UTC: `2026-11-29T15:07:07.123Z`. Formatted by hand (the
    /// Foundation format style costs more than the rest of a report row); years outside 0...9999
    /// go to Foundation.
    package static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let wholeSeconds = interval.rounded(.down)
        var parts = tm()
        guard interval.isFinite, abs(interval) < 1e15,
            case var seconds = time_t(wholeSeconds), gmtime_r(&seconds, &parts) != nil,
            (-1900...8099).contains(parts.tm_year)
        else {
            return date.formatted(
                .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        }
        let milliseconds = min(999, Int(((interval - wholeSeconds) * 1000).rounded(.down)))
        func digits(_ value: Int32, _ count: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, count - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "."
            + digits(Int32(milliseconds), 3) + "Z"
    }
}
