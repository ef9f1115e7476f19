package import Foundation

/// One workflow to act on, as the planner resolved it.
package struct Job: Sendable, Hashable {
    package var target: WorkflowTarget
    /// The workflow type, when the source knows it (a listing or a plan does, a bare CSV does not).
    package var workflowType: String?
    /// Where it came from: the CSV line, for messages.
    package var line: Int?
    /// The run's status as a listing just reported it (nil when it has to be described).
    package var listedStatus: WorkflowStatus?
    package var startTime: Date?
    /// When a listing (or a bulk lookup through visibility) described it: its status is trusted
    /// for a cancel only while fresh.
    package var listedAt: ContinuousClock.Instant?
    /// For an ID given without a run: the run a bulk lookup through visibility picked (the open
    /// one, else the newest), with ``listedStatus``. The target stays unpinned, so that the report,
    /// duplicates and `--resume` treat the ID as given; only an open run is acted on from it.
    package var lookedUpRunID: String?
    /// For a closed run a listing returned: whether a bulk lookup made with the listing found an
    /// open run of the same workflow (one that replaced it); nil when none was made (Describe asks).
    package var replacement: Replacement?
    /// The first run of the workflow's continue-as-new chain, when known.
    package var firstRunID: String?
    /// The same workflow (and run) appeared earlier in the input: reported `duplicate`, not sent.
    package var isDuplicate = false
    /// A resumed run found no row for this workflow in the report: the sweep that wrote it may
    /// have acted on it before a crash lost the row (see ``EarlierRun``).
    package var unrecorded = false
    /// Its position in the source (0, 1, 2...), so that order-sensitive output (a plan) can
    /// restore the source's order after concurrent execution.
    package var sequence = 0

    package init(
        target: WorkflowTarget,
        workflowType: String? = nil,
        line: Int? = nil,
        listedStatus: WorkflowStatus? = nil,
        startTime: Date? = nil,
        firstRunID: String? = nil
    ) {
        self.target = target
        self.workflowType = workflowType
        self.line = line
        self.listedStatus = listedStatus
        self.startTime = startTime
        self.firstRunID = firstRunID
    }

    /// What a bulk lookup found for the workflow of a closed listed run.
    package enum Replacement: Sendable, Hashable {
        case noOpenRun
        case open(runID: String, status: WorkflowStatus)
    }

    /// The key under which duplicates are recognised: the workflow ID and the pinned run, if any.
    package var deduplicationKey: ExactKey {
        ExactKey(workflowID: target.workflowID, runID: target.runID)
    }
}
