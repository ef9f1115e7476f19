import Foundation
import SweepGRPC

/// What the engine reports for a run it finds closed.
extension Executor {
    /// The outcome for a run found closed: `run_changed` when the job pinned it and a newer run
    /// of the workflow is open (continue-as-new, reset, a new start), else `already_closed`.
    /// The replacement is what the listing's bulk lookup found (``Job/replacement``), else asked
    /// of Describe.
    func closed(_ job: Job, _ description: ExecutionDescription, _ attempt: inout JobAttempt<C.Instant>) async
        -> JobResult
    {
        if let closedByUs = await closedByEarlierRun(job, description, &attempt) { return closedByUs }
        if let pinned = job.target.runID {
            let found: String?
            switch job.replacement {
            case .open(let runID, let status)? where runID != pinned:
                found = Self.replaced(pinned, by: runID, status)
            case .open?, .noOpenRun?:
                found = nil
            case nil:
                found = await replacement(of: job.target, &attempt)
            }
            if let found { return attempt.finish(.runChanged, message: found, elapsed: elapsed(attempt)) }
        }
        return attempt.finish(
            .alreadyClosed, message: "run is \(description.status.rawValue)", elapsed: elapsed(attempt))
    }

    /// A description of the open run that replaced `pinned`, if there is one.
    func replacement(of pinned: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async -> String? {
        guard case .success(let current) = await describe(WorkflowTarget(workflowID: pinned.workflowID), &attempt),
            current.runID != pinned.runID, !current.status.isClosed
        else { return nil }
        return Self.replaced(pinned.runID ?? "", by: current.runID, current.status)
    }

    static func replaced(_ pinned: String, by runID: String, _ status: WorkflowStatus) -> String {
        "run \(pinned) was replaced by run \(runID) (\(status.rawValue)); not touched"
    }
}
