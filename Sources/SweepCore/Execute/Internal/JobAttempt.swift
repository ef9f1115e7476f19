import Foundation
import SweepGRPC

/// A failed call as the executor sees it: the outcome it maps to, and the status behind it.
struct CallFailure: Error {
    var outcome: Outcome
    var error: RPCError?
    var message: String
    /// The call may or may not have landed (it timed out, or the connection dropped).
    var isAmbiguous: Bool

    init(outcome: Outcome, error: RPCError?, message: String? = nil, isAmbiguous: Bool = false) {
        self.outcome = outcome
        self.error = error
        self.message = message ?? error?.message ?? ""
        self.isAmbiguous = isAmbiguous
    }

    /// Failures after which a call may have taken effect on the server.
    static let ambiguousCodes: Set<RPCError.Code> = [.deadlineExceeded, .unavailable]
}

/// The running record of one job, turned into its ``JobResult`` at the end.
struct JobAttempt<Instant: InstantProtocol> {
    let job: Job
    let action: Action?
    var runID: String?
    var attempts = 0
    var callsSent = 0
    /// When the first call for this job was sent, on the executor's clock and the wall clock.
    var firstCall: Instant?
    var firstCallDate = Date.distantPast
    /// What Describe said about the run, for plans and the report.
    var described: ExecutionDescription?
    /// An action call failed in a way that may have taken effect (DEADLINE_EXCEEDED, UNAVAILABLE).
    var sawAmbiguousFailure = false
    /// For a job a resumed run has no row for (``Job/unrecorded``): when the sweep that wrote the
    /// report began. Its call may have landed then, so the job is judged as after an ambiguous
    /// failure since that moment.
    private(set) var unrecordedSince: Date?
    /// A follow-up's record (`--wait`, escalation): its rows are marked so, and replace the
    /// outcome of the row they follow up.
    var isFollowUp = false
    var supersedes: Outcome?

    init(job: Job, action: Action?) {
        self.job = job
        self.action = action
        self.runID = job.target.runID
    }

    /// Since when a run shows this job's action as its own: the first call, or for an unrecorded
    /// job the earlier sweep's start.
    var actedSince: Date { unrecordedSince ?? firstCallDate }

    /// Marks the job as one the earlier sweep (begun at `date`) may have acted on.
    mutating func judgeAsUnrecorded(since date: Date) {
        unrecordedSince = date
        sawAmbiguousFailure = true
    }

    func finish(_ outcome: Outcome, message: String = "", elapsed: Duration) -> JobResult {
        learned(
            JobResult(
                job: job, runID: runID, action: action, outcome: outcome, message: message,
                attempts: attempts, latency: elapsed, callsSent: callsSent
            ))
    }

    func finish(_ failure: CallFailure, elapsed: Duration) -> JobResult {
        learned(
            JobResult(
                job: job, runID: runID, action: action, outcome: failure.outcome, code: failure.error?.code,
                message: failure.message, attempts: attempts, latency: elapsed, callsSent: callsSent
            ))
    }

    private func learned(_ result: JobResult) -> JobResult {
        var result = result
        result.isFollowUp = isFollowUp
        result.supersedes = supersedes
        guard let described else { return result }
        result.workflowType = described.workflowType
        result.status = described.status
        result.startTime = described.startTime
        result.firstRunID = described.firstRunID.isEmpty ? nil : described.firstRunID
        return result
    }
}
