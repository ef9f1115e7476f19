package import Foundation
import SweepCSV

/// An earlier run's report, read back for `--resume`: which jobs already reached an outcome that
/// must not be repeated.
///
/// The last row for a workflow wins; `duplicate` rows say nothing about a workflow (they stand
/// for a repeated input line) and are passed over. A job pinned to a run is judged by that run's
/// last row when the report has one. A last row torn by a crash mid-write (the file does not end
/// with a whole row) is dropped: its workflow is retried, and the writer cuts the file back to
/// ``validLength`` before appending. Anything else that does not read as a report row stops the
/// resume with the line: a journal is never half-read in silence.
package struct ReportJournal: Sendable {
    private struct Entry: Sendable {
        var outcome: Outcome
        var finalStatus: WorkflowStatus?
        var runID: String
        var code: String = ""
        /// The outcome of the action's row (a follow-up's row has a `final_status`), when it was
        /// written and the run it named: what a resumed follow-up continues from.
        var acted: Outcome?
        var actedAt: Date?
        var actedRunID = ""
        /// How many runs of the report had begun (its `sweep_started` rows) when it was written.
        var runsBefore = 0

        /// Cancelled or terminated, but no follow-up has seen it closed yet: its follow-up
        /// stopped, `--wait` gave up, or an escalation failed (a `failed` row with RUNNING).
        var awaitsFollowUp: Bool {
            guard acted == .cancelRequested || acted == .terminated else { return false }
            switch outcome {
            case .cancelRequested, .terminated: return !(finalStatus?.isClosed ?? false)
            case .failed: return finalStatus == .running
            default: return false
            }
        }
    }

    /// A run an earlier run acted on whose follow-up (`--escalate-after`, `--wait`) did not see it
    /// close: the resumed run follows it up without acting on it again.
    package struct PendingFollowUp: Sendable, Hashable {
        package var target: WorkflowTarget
        package var outcome: Outcome
        /// When its cancel or terminate was recorded (the report's `finished_at`).
        package var actedAt: Date?
    }

    /// Rows read (the torn one excluded).
    package private(set) var rows = 0
    /// The runs that wrote the report, oldest first (none in a report from before they were
    /// recorded).
    package private(set) var runs: [RunProvenance] = []
    /// The earliest `finished_at` of the rows written before any ``runs`` row (by a sweep that
    /// did not record when it began).
    package private(set) var earliestRowAt: Date?
    /// The file's length up to the end of its last whole row.
    package private(set) var validLength = 0
    /// Whether a torn last row was found (and will be cut off).
    package private(set) var hadTornRow = false
    private var lastByWorkflow: [ExactKey: Entry] = [:]
    private var lastByRun: [ExactKey: Entry] = [:]

    /// Outcomes a resumed run does not repeat. `failed` and `not_attempted` (and dry-run rows) are
    /// retried; `duplicate` rows are passed over.
    package static let settledOutcomes: Set<Outcome> = [
        .cancelRequested, .terminated, .alreadyClosed, .notFound, .runChanged, .canceled, .closed,
        .escalatedTerminated,
    ]

    /// Reads `path`.
    /// - Throws: ``SweepError`` `.input` when it is not a sweep report, was written for another
    ///   action, or has a row that does not parse anywhere but at its torn end.
    package init(path: String, action: Action) throws(SweepError) {
        guard let file = CSVFileReader(path: path) else {
            throw SweepError(.input, "\(path): cannot open the report to resume from; check the path")
        }
        var header: [String]?
        do {
            while let record = try file.next() {
                guard record.isTerminated else {
                    // The input ended inside this row: a write cut short by a crash or a full disk.
                    hadTornRow = true
                    break
                }
                guard header != nil else {
                    guard record.fields == ReportFormat.columns else {
                        throw SweepError(
                            .input,
                            "\(path):\(record.line): not a sweep report (the header should be \(ReportFormat.columns.joined(separator: ",")))"
                        )
                    }
                    header = record.fields
                    validLength = record.endOffset
                    continue
                }
                try read(record, path: path, action: action)
                validLength = record.endOffset
            }
        } catch let error as SweepError {
            throw error
        } catch let error as CSVError {
            // Only the end of the file may be torn; an error before it means the file is damaged.
            guard file.reachedEnd, header != nil else {
                throw SweepError(
                    .input,
                    "\(path):\(error.line): \(error.message); the report is damaged before its last row, so it cannot be resumed safely"
                )
            }
            hadTornRow = true
        } catch {
            throw SweepError(.input, "\(path): cannot read the report: \(error.localizedDescription)")
        }
        // A crash tears one row, the last. Whole rows after the tear mean rows were appended to a
        // torn file (a quote left open there swallows them): refuse rather than drop them.
        if hadTornRow, let line = Self.wholeRowAfterTear(path: path, from: validLength) {
            throw SweepError(
                .input,
                "\(path): the row after byte \(validLength) is torn and whole rows follow it (line \(line) of the rest); the report is damaged, so it cannot be resumed safely"
            )
        }
        guard header != nil else {
            throw SweepError(.input, "\(path): the report has no header; nothing to resume")
        }
    }

    private mutating func read(_ record: CSVRecord, path: String, action: Action) throws(SweepError) {
        let fields = record  // read through its subscript: no array per row
        if fields.count == ReportFormat.columns.count,
            RunProvenance.isProvenance(workflowID: fields[0], outcome: fields[3])
        {
            guard let run = RunProvenance(action: fields[2], message: fields[5], startedAt: fields[8]) else {
                throw SweepError(
                    .input, "\(path):\(record.line): a run's row that does not read; the report is damaged")
            }
            runs.append(run)
            return
        }
        guard fields.count == ReportFormat.columns.count,
            let rowAction = Action(rawValue: fields[2]),
            let outcome = Outcome(rawValue: fields[3])
        else {
            throw SweepError(
                .input,
                "\(path):\(record.line): not a report row (\(fields.count) fields, action '\(fields.count > 2 ? fields[2] : "")', outcome '\(fields.count > 3 ? fields[3] : "")'); the report is damaged, so it cannot be resumed safely"
            )
        }
        guard rowAction == action else {
            throw SweepError(
                .input,
                "\(path):\(record.line): this report is from a \(rowAction.rawValue) run; resume it with sweep \(rowAction.rawValue)"
            )
        }
        rows += 1
        if runs.isEmpty, let at = ReportFormat.date(fields[8]), at < earliestRowAt ?? .distantFuture {
            earliestRowAt = at
        }
        guard outcome != .duplicate else { return }
        let workflowID = ReportFormat.restore(fields[0])
        let runID = ReportFormat.restore(fields[1])
        var entry = Entry(
            outcome: outcome, finalStatus: WorkflowStatus(rawValue: fields[9]), runID: runID, code: fields[4],
            runsBefore: runs.count)
        if entry.finalStatus == nil {
            entry.acted = outcome
            entry.actedAt = ReportFormat.date(fields[8])
            entry.actedRunID = runID
        } else if let earlier = lastByRun[Self.key(workflowID, runID)] ?? lastByWorkflow[ExactKey(workflowID)] {
            // Its own run's action when the report has one; else (`--chain` looks at the chain's
            // current run) the workflow's last action.
            entry.acted = earlier.acted
            entry.actedAt = earlier.actedAt
            entry.actedRunID = earlier.actedRunID
            // A follow-up's row may name another run (`--chain` looks at the chain's current
            // run): it is also the last word on the run the action named.
            if !earlier.actedRunID.isEmpty { lastByRun[Self.key(workflowID, earlier.actedRunID)] = entry }
        }
        lastByWorkflow[ExactKey(workflowID)] = entry
        if !runID.isEmpty { lastByRun[Self.key(workflowID, runID)] = entry }
    }

    /// Whether `job` was settled by the earlier run and is skipped: its last row is a settled
    /// outcome, or it was acted on and awaits its follow-up. A run cancelled or terminated earlier
    /// is never acted on again; a resumed run with a follow-up follows it up
    /// (``pendingFollowUp(for:)``) instead.
    /// - Parameter followingUp: the resumed run escalates or waits. Without a follow-up, an
    ///   escalation that failed is acted on again, on the run it cancelled (see ``resumed(_:)``;
    ///   the cancel is de-duplicated by the server), so that its `failed` row is not the last word.
    package func isSettled(_ job: Job, followingUp: Bool) -> Bool {
        guard let entry = entry(for: job) else { return false }
        return Self.settledOutcomes.contains(entry.outcome) || (followingUp && entry.awaitsFollowUp)
    }

    /// The run `job`'s earlier run acted on whose follow-up did not see it close (stopped before
    /// or during `--escalate-after` or `--wait`, still open when `--wait` gave up, or an
    /// escalation that failed), if any.
    package func pendingFollowUp(for job: Job) -> PendingFollowUp? {
        guard let entry = entry(for: job), entry.awaitsFollowUp, let acted = entry.acted else { return nil }
        return PendingFollowUp(
            target: WorkflowTarget(workflowID: job.target.workflowID, runID: entry.runID.isEmpty ? nil : entry.runID),
            outcome: acted, actedAt: entry.actedAt)
    }

    /// `job` as a resumed run sends it: a job given without a run whose last row is unsettled
    /// (`failed`, `not_attempted`) but names the run it was pinned to (a terminate pinned after an
    /// ambiguous failure, a cancel's described run, an escalation that failed: the run it
    /// cancelled) is retried on that run, never on whatever run is current by then. A run that
    /// has closed meanwhile is then reported as such (`already_closed`, or `run_changed` when a
    /// newer run is open), not replaced by a run this sweep was never asked about.
    package func resumed(_ job: Job) -> Job {
        guard job.target.runID == nil, let entry = entry(for: job), !Self.settledOutcomes.contains(entry.outcome)
        else { return job }
        let run = entry.finalStatus == nil ? entry.runID : entry.actedRunID
        guard !run.isEmpty else { return job }
        var pinned = job
        pinned.target.runID = run
        return pinned
    }

    /// Whether the report does not say what became of `job`: it has no row for it (a `duplicate`
    /// row aside), or its last row is unsettled and came before a later run began (that run may
    /// have acted on it, then crashed before its row).
    package func isUnrecorded(_ job: Job) -> Bool {
        guard let entry = entry(for: job) else { return true }
        return !Self.settledOutcomes.contains(entry.outcome) && entry.runsBefore < runs.count
    }

    /// The last row for `job`: its pinned run's, when the report has one, else its workflow's.
    private func entry(for job: Job) -> Entry? {
        let workflowID = job.target.workflowID
        return job.target.runID.flatMap { lastByRun[Self.key(workflowID, $0)] } ?? lastByWorkflow[ExactKey(workflowID)]
    }

    /// Workflows whose last row is settled, for messages.
    package func settledCount(followingUp: Bool) -> Int {
        lastByWorkflow.values.count { Self.settledOutcomes.contains($0.outcome) || (followingUp && $0.awaitsFollowUp) }
    }

    /// Workflows whose last row has `outcome`: what an earlier run left that this run will not
    /// revisit (`run_changed`, for the exit code).
    package func finalCount(of outcome: Outcome) -> Int {
        lastByWorkflow.values.count { $0.outcome == outcome }
    }

    private static func key(_ workflowID: String, _ runID: String) -> ExactKey {
        ExactKey(workflowID: workflowID, runID: runID)
    }
}
