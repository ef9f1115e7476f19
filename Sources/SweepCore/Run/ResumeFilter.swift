import Foundation
import Synchronization

/// What `--resume` does to the job set: skips the jobs an earlier run settled, marks those it has
/// no row for (``Job/unrecorded``: judged against the run that wrote the report), keeps for the
/// follow-up stage the runs it acted on but did not see close (once per run, never for a
/// duplicate line), pins a job to the run its failed row names, and marks as a duplicate a job
/// that comes to name a run already handed out (a job pinned by the report meeting the same run
/// given explicitly).
package final class ResumeFilter: Sendable {
    private struct State {
        var pending: [ExactKey: ReportJournal.PendingFollowUp] = [:]
        var seen: Set<ExactKey> = []
    }

    private let journal: ReportJournal
    private let followingUp: Bool
    private let state = Mutex(State())

    /// - Parameter followingUp: the resumed run escalates or waits.
    package init(_ journal: ReportJournal, followingUp: Bool) {
        self.journal = journal
        self.followingUp = followingUp
    }

    /// `job` as the resumed run takes it, or `nil` when it is settled.
    package func admit(_ job: Job) -> Job? {
        if journal.isSettled(job, followingUp: followingUp) {
            if followingUp, !job.isDuplicate, let pending = journal.pendingFollowUp(for: job) {
                state.withLock { $0.pending[Self.key(pending.target)] = pending }
            }
            return nil
        }
        var admitted = journal.resumed(job)
        // No row (or none since a later run began): the earlier run may have acted on it before a
        // crash lost the row.
        if !job.isDuplicate, journal.isUnrecorded(job) { admitted.unrecorded = true }
        // Only jobs that name a run can come to collide once pinned (the planner already marks
        // repeats of the same line), so only their keys are kept.
        if admitted.target.runID != nil, !admitted.isDuplicate {
            let isNew = state.withLock { $0.seen.insert(admitted.deduplicationKey).inserted }
            if !isNew { admitted.isDuplicate = true }
        }
        return admitted
    }

    /// The runs met so far that await their follow-up, one per run.
    package var pendingFollowUps: [ReportJournal.PendingFollowUp] {
        state.withLock { Array($0.pending.values) }
    }

    /// ``pendingFollowUps`` as the follow-up stage takes them: acted on when their action's row
    /// was written; their rows are in an earlier run, so a follow-up's row replaces nothing in
    /// this run's tally.
    func actedRuns() -> [ActedRun<ContinuousClock.Instant>] {
        let now = ContinuousClock().now
        return pendingFollowUps.map { pending in
            let age = pending.actedAt.map { max(0, Date().timeIntervalSince($0)) } ?? 0
            return ActedRun(
                job: Job(target: WorkflowTarget(workflowID: pending.target.workflowID)), runID: pending.target.runID,
                outcome: pending.outcome, actedAt: now.advanced(by: .zero - .seconds(age)), lastReported: .some(nil))
        }
    }

    private static func key(_ target: WorkflowTarget) -> ExactKey {
        ExactKey(workflowID: target.workflowID, runID: target.runID)
    }
}
