/// What happened to one workflow: the report's `outcome` column.
///
/// Per-workflow failures are values, not thrown errors: a run that ends with some `failed` rows
/// still accounts for every input ID.
package enum Outcome: String, Sendable, Hashable, CaseIterable {
    /// The cancel request was accepted for a running workflow.
    case cancelRequested = "cancel_requested"
    /// The workflow was terminated.
    case terminated
    /// The run had already closed; nothing was done to it.
    case alreadyClosed = "already_closed"
    /// No such workflow (or run) in the namespace.
    case notFound = "not_found"
    /// The call failed (a permanent error, or a transient one past `--max-attempts`).
    case failed
    /// Stopped (a signal) before any call was sent for it: nothing was done. Retried by `--resume`.
    case notAttempted = "not_attempted"
    /// The same workflow ID appeared earlier in the input; it was acted on once, there.
    case duplicate
    /// The pinned run was replaced (continue-as-new, reset, a new run with the same ID) after planning: not touched.
    case runChanged = "run_changed"
    /// `--escalate-after`: closed as CANCELED within the grace period.
    case canceled
    /// `--escalate-after`/`--wait`: closed another way (COMPLETED, FAILED...) after the request; `final_status` says how.
    case closed
    /// `--escalate-after`: still open after the grace period, so terminated.
    case escalatedTerminated = "escalated_terminated"
    /// `--dry-run`: would have been cancelled.
    case wouldCancel = "would_cancel"
    /// `--dry-run`: would have been terminated.
    case wouldTerminate = "would_terminate"
    /// `sweep plan`: a run the plan lists (plans have no report, so no report shows it).
    case planned

    /// Whether the run's exit code counts this outcome as a failure.
    package var isFailure: Bool { self == .failed }

    /// The outcome a dry run reports for `action` (`nil`: `sweep plan`, which only resolves runs).
    package static func dryRun(_ action: Action?) -> Outcome {
        guard let action else { return .planned }
        return action == .cancel ? .wouldCancel : .wouldTerminate
    }

    /// The outcome of an accepted call for `action` (`nil`: `sweep plan`, which sends no action).
    package static func done(_ action: Action?) -> Outcome {
        guard let action else { return .planned }
        return action == .cancel ? .cancelRequested : .terminated
    }
}
