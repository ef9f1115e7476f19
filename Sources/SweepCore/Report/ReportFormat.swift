import SweepGRPC
package import Foundation
import SweepCSV

/// The report's CSV format: one row per job, in the order outcomes are reached.
package enum ReportFormat {
    package static let columns = [
        "workflow_id", "run_id", "action", "outcome", "grpc_code", "message", "attempts", "latency_ms", "finished_at",
    ]

    /// The header line.
    package static var header: String { CSVWriter.row(columns) }

    /// One row for `result`, quoted by libcsv where needed.
    package static func row(_ result: JobResult) -> String {
        CSVWriter.row([
            result.job.target.workflowID,
            result.runID ?? "",
            result.action.rawValue,
            result.outcome.rawValue,
            result.code?.description ?? "",
            result.message,
            String(result.attempts),
            String(format: "%.1f", result.latency.inMilliseconds),
            timestamp(result.finishedAt),
        ])
    }

    /// RFC 3339 with milliseconds, UTC.
    package static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
