import Foundation
import SweepCSV

/// An earlier run's report, read back for `--resume`: which workflows already reached an outcome
/// that must not be repeated. The last row for a workflow ID wins.
package struct ReportJournal: Sendable {
    /// Workflow IDs whose last outcome is final (done, closed, not found, duplicate): skipped on resume.
    package private(set) var settled: Set<String> = []
    /// Rows read, for messages.
    package private(set) var rows = 0

    /// Outcomes a resumed run does not repeat. `failed` and `not_attempted` (and dry-run rows) are retried.
    package static let settledOutcomes: Set<Outcome> = [
        .cancelRequested, .terminated, .alreadyClosed, .notFound, .duplicate, .runChanged, .canceled, .closed,
        .escalatedTerminated,
    ]

    /// Reads `path`.
    /// - Throws: ``SweepError`` `.input` when it is not a sweep report, or was written for another action.
    package init(path: String, action: Action) throws(SweepError) {
        guard let file = CSVFileReader(path: path) else {
            throw SweepError(.input, "\(path): cannot open the report to resume from; check the path")
        }
        var header: [String]?
        var last: [String: Outcome] = [:]
        do {
            while let record = try file.next() {
                guard let columns = header else {
                    guard record.fields == ReportFormat.columns else {
                        throw SweepError(
                            .input,
                            "\(path):\(record.line): not a sweep report (the header should be \(ReportFormat.columns.joined(separator: ",")))"
                        )
                    }
                    header = record.fields
                    continue
                }
                guard record.fields.count == columns.count else {
                    // A row cut short by a crash mid-write: its workflow is simply retried.
                    continue
                }
                let workflowID = ReportFormat.restore(record.fields[0])
                guard let rowAction = Action(rawValue: record.fields[2]),
                    let outcome = Outcome(rawValue: record.fields[3])
                else {
                    continue
                }
                guard rowAction == action else {
                    throw SweepError(
                        .input,
                        "\(path):\(record.line): this report is from a \(rowAction.rawValue) run; resume it with sweep \(rowAction.rawValue)"
                    )
                }
                last[workflowID] = outcome
                rows += 1
            }
        } catch let error as SweepError {
            throw error
        } catch let error as CSVError {
            // A quote left open by a crash mid-row ends the journal there; what came before counts.
            if header == nil { throw SweepError(.input, "\(path):\(error.line): \(error.message)") }
        } catch {
            throw SweepError(.input, "\(path): cannot read the report: \(error.localizedDescription)")
        }
        guard header != nil else {
            throw SweepError(.input, "\(path): the report is empty; nothing to resume")
        }
        settled = Set(last.filter { Self.settledOutcomes.contains($0.value) }.keys)
    }
}
