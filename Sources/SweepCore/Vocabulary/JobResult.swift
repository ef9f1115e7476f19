package import Foundation
package import SweepGRPC

/// The final word on one job: one row of the report.
package struct JobResult: Sendable, Hashable {
    package var job: Job
    /// The run acted on (pinned by the listing, the input, or a Describe), when known.
    package var runID: String?
    /// `nil` for `sweep plan`.
    package var action: Action?
    package var outcome: Outcome
    /// The status of the last failed call, if any.
    package var code: RPCError.Code?
    package var message: String
    /// Attempts of the action call (0 in a dry run or when nothing had to be sent).
    package var attempts: Int
    /// From the first call for this job to its outcome.
    package var latency: Duration
    package var finishedAt: Date
    /// Every RPC sent for this job (Describe included), for the summary's calls/s.
    package var callsSent: Int
    /// What was learned about the run (type, status when planned or acted on, start), for plans.
    package var workflowType: String?
    package var status: WorkflowStatus?
    package var startTime: Date?
    package var firstRunID: String?
    /// The run's status when a follow-up (`--wait`, `--escalate-after`) last looked.
    package var finalStatus: WorkflowStatus?
    /// For a follow-up's row: the outcome of the first-pass row it follows (so the summary counts
    /// the workflow once, with its latest outcome).
    package var supersedes: Outcome?
    /// A follow-up row (`--wait`, escalation): its latency is the wait since the action, not a call's.
    package var isFollowUp = false
    /// `--chain`: the first run of the chain that was acted on.
    package var chain: String?

    package init(
        job: Job,
        runID: String?,
        action: Action?,
        outcome: Outcome,
        code: RPCError.Code? = nil,
        message: String = "",
        attempts: Int,
        latency: Duration,
        finishedAt: Date = Date(),
        callsSent: Int,
        finalStatus: WorkflowStatus? = nil
    ) {
        self.job = job
        self.runID = runID
        self.action = action
        self.outcome = outcome
        self.code = code
        self.message = message
        self.attempts = attempts
        self.latency = latency
        self.finishedAt = finishedAt
        self.callsSent = callsSent
        self.finalStatus = finalStatus
        self.workflowType = job.workflowType
        self.status = job.listedStatus
        self.startTime = job.startTime
        self.firstRunID = job.firstRunID
    }
}
