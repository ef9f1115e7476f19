import Foundation
import SweepCSV
import Synchronization

/// Writes a plan: the exact runs a sweep would act on, one per line, as reviewable (diffable,
/// hand-editable) CSV, or as a table for a terminal. Only `would_*` results are plan lines; the
/// others (closed, not found, duplicate) are counted for the summary. Lines keep the source's
/// order: results arrive out of order (at most the executor's concurrency apart) and wait in a
/// small buffer for their turn.
package final class PlanWriter: ReportSink {
    package static let columns = ["workflow_id", "run_id", "workflow_type", "status", "start_time", "first_run_id"]

    /// How a plan is shown.
    package enum Style: Sendable {
        case csv
        /// Aligned columns for a person at a terminal.
        case table
    }

    package var path: String { file.path }
    private let file: OutputFile
    private let style: Style
    private let state = Mutex(State())

    private struct State: Sendable {
        var tally = Tally()
        var next = 0
        var waiting: [Int: JobResult] = [:]
    }

    /// Creates the plan at `path` ("-" for standard output) and writes its header.
    /// - Parameter overwrite: replace an existing file (else it is refused).
    /// - Throws: ``SweepError`` `.io` when it cannot be created.
    package init(path: String, style: Style = .csv, overwrite: Bool = false) throws(SweepError) {
        self.style = style
        file = try OutputFile(path: path, role: "plan", mode: overwrite ? .overwrite : .create)
        do {
            try file.write(line(Self.columns))
        } catch {
            throw SweepError(.io, error.message)
        }
    }

    deinit {
        file.close()
    }

    /// Counts per outcome of everything recorded (plan lines are the `would_*` ones).
    package var tally: Tally { state.withLock { $0.tally } }

    package func record(_ result: JobResult) throws(SweepError) {
        let ready: [JobResult] = state.withLock { state in
            state.tally.add(result)
            state.waiting[result.job.sequence] = result
            var ready: [JobResult] = []
            while let next = state.waiting.removeValue(forKey: state.next) {
                ready.append(next)
                state.next += 1
            }
            return ready
        }
        for result in ready where [.wouldCancel, .wouldTerminate, .planned].contains(result.outcome) {
            try writeLine(result)
        }
    }

    private func writeLine(_ result: JobResult) throws(SweepError) {
        try file.write(
            line([
                result.job.target.workflowID,
                result.runID ?? "",
                result.workflowType ?? "",
                (result.status ?? .running).rawValue,
                result.startTime.map(ReportFormat.timestamp) ?? "",
                result.firstRunID ?? "",
            ]))
    }

    private func line(_ fields: [String]) -> String {
        switch style {
        case .csv:
            return CSVWriter.row(fields.map(ReportFormat.neutralize))
        case .table:
            let widths = [28, 38, 18, 10, 25, 0]
            return zip(fields, widths).map { field, width in
                // A control character in an ID must not move the cursor or rewrite the screen.
                let shown = field.escapedForTerminal
                return width == 0
                    ? shown : shown.padding(toLength: max(width, shown.count + 1), withPad: " ", startingAt: 0)
            }.joined() + "\n"
        }
    }
}
