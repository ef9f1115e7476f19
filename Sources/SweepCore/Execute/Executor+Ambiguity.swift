import Foundation
import SweepGRPC

/// What the engine does after a call failed in a way that may have taken effect (DEADLINE_EXCEEDED,
/// UNAVAILABLE): never retry blindly on a run it was not asked about, and report a call that
/// landed as done.
extension Executor {
    /// What an unpinned terminate does after an ambiguous failure (DEADLINE_EXCEEDED, UNAVAILABLE):
    /// Describe the workflow's current run. Terminated since the first call: that was this call.
    /// Open and started well before the first call: the call did not land; retry pinned to it.
    /// Open and started since (or too close to tell): a new run that this sweep was never asked
    /// about; leave it alone (`run_changed`).
    func pinAfterAmbiguousTerminate(
        _ target: WorkflowTarget, _ failure: CallFailure, _ attempt: inout JobAttempt<C.Instant>
    ) async -> PinDecision {
        let sent = attempt.actedSince
        // The server just failed to answer: back off before asking it again. A stop during the
        // pause still asks (a read), so that the row pins the run and a resume retries that run.
        let stopped: Bool
        do {
            try await clock.sleep(
                for: options.backoff.delay(afterAttempt: attempt.attempts, jitter: .random(in: 0...1)))
            stopped = false
        } catch {
            stopped = true
        }
        switch await describe(target, &attempt) {
        case .failure(let described):
            return .finished(
                attempt.finish(
                    CallFailure(
                        outcome: described.outcome == .notFound ? .notFound : .failed, error: failure.error,
                        message:
                            "\(failure.message); the terminate may have landed, and Describe could not tell: \(described.message)"
                    ), elapsed: elapsed(attempt)))
        case .success(let current):
            attempt.runID = current.runID
            if current.status.isClosed {
                let ours = await actedOnBySweep(current, &attempt)
                return .finished(
                    attempt.finish(
                        ours ? .terminated : .alreadyClosed,
                        message: ours ? "confirmed by Describe after a retry" : "run is \(current.status.rawValue)",
                        elapsed: elapsed(attempt)))
            }
            guard current.startedBefore(sent) else {
                return .finished(
                    attempt.finish(
                        .runChanged,
                        message:
                            "after \(failure.error?.code.description ?? "a failure") the open run is \(current.runID), started after the terminate was sent; not touched",
                        elapsed: elapsed(attempt)))
            }
            if stopped {
                return .finished(
                    attempt.finish(
                        CallFailure(
                            outcome: .failed, error: failure.error,
                            message: "stopped while retrying after: \(failure.message)"),
                        elapsed: elapsed(attempt)))
            }
            guard
                options.retry.pause(
                    after: failure.error ?? RPCError(code: .unavailable, message: ""), tries: attempt.attempts,
                    failingFor: .zero, jitter: 0) != nil
            else {
                // No attempts left: the call did not land, and is not sent again.
                return .finished(
                    attempt.finish(
                        CallFailure(
                            outcome: .failed, error: failure.error,
                            message: "\(failure.message) (gave up after \(attempt.attempts) attempts)"),
                        elapsed: elapsed(attempt)))
            }
            return .retry(WorkflowTarget(workflowID: target.workflowID, runID: current.runID))
        }
    }

    enum PinDecision {
        case retry(WorkflowTarget)
        case finished(JobResult)
    }

    /// Whether an earlier attempt of this job took effect (its failure was ambiguous): the run is
    /// terminated, or has the cancel request (or closed CANCELED), since the first call.
    func actedByEarlierAttempt(_ target: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async -> Bool {
        let described = await call(counting: &attempt, paced: .none) { () async throws(RPCError) in
            try await service.describe(target)
        }
        guard case .success(let description) = described else { return false }
        return await actedOnBySweep(description, &attempt)
    }
}

extension Executor {
    /// A cancel pinned to the run a listing or bulk lookup said was open answers OK even when that
    /// run had closed since (visibility lags a close by seconds on a loaded cluster): one Describe
    /// of the run, a read (not paced), tells. A run still open, or one that recorded a cancel
    /// request, keeps `cancel_requested`.
    /// - Returns: the result for a run that was closed when the cancel arrived (`already_closed`,
    ///   or `run_changed` when a newer run replaced it, which is not touched); nil when the cancel
    ///   stands (or the Describe failed: the server accepted the cancel).
    func cancelFoundClosed(_ pinned: WorkflowTarget, _ job: Job, _ attempt: inout JobAttempt<C.Instant>) async
        -> JobResult?
    {
        guard case .success(let run) = await describe(pinned, &attempt), run.status.isClosed,
            !(await actedOnBySweep(run, &attempt))
        else { return nil }
        // Judged as the run it pinned: a newer run is the operator's to select.
        var asPinned = job
        asPinned.target.runID = pinned.runID
        asPinned.replacement = nil
        return await closed(asPinned, run, &attempt)
    }

    /// A terminate pinned to the run a bulk lookup found for an ID given without one was refused:
    /// that run had closed since the lookup. The ID names the workflow's current run: terminated
    /// (pinned) when it was there before the terminate was sent; a run started since is the
    /// operator's to select (`run_changed`).
    /// - Returns: the run to terminate, the result, or nil when no open run is left
    ///   (`already_closed`, as the refusal said).
    func currentRun(afterStaleLookup job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> PinDecision? {
        let sent = attempt.actedSince
        guard case .success(let current) = await describe(WorkflowTarget(workflowID: job.target.workflowID), &attempt),
            !current.status.isClosed
        else { return nil }
        let stale = attempt.runID ?? ""
        guard current.startedBefore(sent) else {
            return .finished(
                attempt.finish(
                    .runChanged, message: Self.replaced(stale, by: current.runID, current.status),
                    elapsed: elapsed(attempt)))
        }
        attempt.runID = current.runID
        return .retry(WorkflowTarget(workflowID: job.target.workflowID, runID: current.runID))
    }
}
