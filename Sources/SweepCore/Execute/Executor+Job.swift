import Foundation
import SweepGRPC

/// The per-job policy: what the engine does for one job, from its first call to its outcome.
extension Executor {
    /// Carries out one job to a final outcome. Never throws.
    package func perform(_ job: Job) async -> JobResult {
        var attempt = JobAttempt<C.Instant>(job: job, action: options.action)
        if job.isDuplicate {
            return attempt.finish(.duplicate, message: "listed earlier in the input; acted on once", elapsed: .zero)
        }
        if options.dryRun {
            return await predict(job, &attempt)
        }
        if options.chain {
            return await performOnChain(job, &attempt)
        }
        var target = job.target

        if options.action == .cancel {
            // A cancel on a closed run answers OK and does nothing, so Describe first: it tells a
            // closed run from an open one, and pins the run we are about to cancel. The job takes
            // its rate-limiter slot here, so Describe and cancel go out back to back.
            switch await describe(target, &attempt, pacing: .every) {
            case .success(let description):
                target.runID = description.runID
                attempt.runID = description.runID
                if description.status.isClosed {
                    return await closed(job, description, &attempt)
                }
            case .failure(let failure):
                return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }

        var pinned = target
        var pacing: Calls<C>.Pacing = options.action == .cancel ? .retries : .every
        while true {
            let current = pinned
            // An unpinned terminate is not retried blindly after an ambiguous failure: the first
            // call may have landed and a new run started since. It is pinned first (below).
            let outcome = await call(
                counting: &attempt, paced: pacing, countsAsAttempt: true, stopOnAmbiguous: current.runID == nil
            ) { () async throws(RPCError) in
                try await act(on: current, chain: nil)
            }
            switch outcome {
            case .success:
                return attempt.finish(.done(options.action), elapsed: elapsed(attempt))
            case .failure(let failure) where failure.isAmbiguous:
                switch await pinAfterAmbiguousTerminate(current, failure, &attempt) {
                case .retry(let run):
                    pinned = run
                    pacing = .every
                case .finished(let result):
                    return result
                }
            case .failure(let failure):
                // After an ambiguous failure, an earlier attempt may have landed: a retry then
                // answers "already completed", or fails for another reason. Describe tells.
                if [.alreadyClosed, .failed].contains(failure.outcome), attempt.sawAmbiguousFailure,
                    await actedByEarlierAttempt(current, &attempt)
                {
                    return attempt.finish(
                        .done(options.action), message: "confirmed by Describe after a retry", elapsed: elapsed(attempt)
                    )
                }
                guard failure.outcome == .alreadyClosed else {
                    return attempt.finish(failure, elapsed: elapsed(attempt))
                }
                if current.runID != nil, let replacement = await replacement(of: current, &attempt) {
                    return attempt.finish(.runChanged, message: replacement, elapsed: elapsed(attempt))
                }
                return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }
    }

    /// What an unpinned terminate does after an ambiguous failure (DEADLINE_EXCEEDED, UNAVAILABLE):
    /// Describe the workflow's current run. Terminated since the first call: that was this call.
    /// Open and started well before the first call: the call did not land; retry pinned to it.
    /// Open and started since (or too close to tell): a new run that this sweep was never asked
    /// about; leave it alone (`run_changed`).
    func pinAfterAmbiguousTerminate(
        _ target: WorkflowTarget, _ failure: CallFailure, _ attempt: inout JobAttempt<C.Instant>
    ) async -> PinDecision {
        let sent = attempt.firstCallDate
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
                let ours = current.status == .terminated && (current.closeTime ?? .distantPast) >= sent - Self.skew
                return .finished(
                    attempt.finish(
                        ours ? .terminated : .alreadyClosed,
                        message: ours ? "confirmed by Describe after a retry" : "run is \(current.status.rawValue)",
                        elapsed: elapsed(attempt)))
            }
            guard let started = current.startTime, started < sent - Self.skew else {
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

    /// Clock skew allowed between this machine and the server when comparing their times.
    static var skew: TimeInterval { 2 }

    /// Sends the action for one target.
    func act(on target: WorkflowTarget, chain: String?) async throws(RPCError) {
        switch options.action {
        case .cancel:
            try await service.requestCancel(
                target, chain: chain, reason: options.reason, requestID: Self.cancelRequestID(for: target, chain: chain)
            )
        case .terminate:
            try await service.terminate(target, chain: chain, reason: options.reason)
        }
    }

    /// `--chain`: act on the current run of the workflow's continue-as-new chain, whichever run
    /// that is by the time the call lands (the server checks it belongs to the chain).
    func performOnChain(_ job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> JobResult {
        let current = WorkflowTarget(workflowID: job.target.workflowID)
        let description: ExecutionDescription
        switch await describe(current, &attempt, pacing: .every) {
        case .success(let found): description = found
        case .failure(let failure): return attempt.finish(failure, elapsed: elapsed(attempt))
        }
        attempt.runID = description.runID
        // The chain to stop: from the plan or listing; else the pinned run's; else the current run's.
        var firstRun = job.firstRunID
        if firstRun == nil, let pinned = job.target.runID, pinned != description.runID {
            switch await describe(job.target, &attempt) {
            case .success(let found): firstRun = found.firstRunID.isEmpty ? found.runID : found.firstRunID
            case .failure(let failure): return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }
        if description.status.isClosed {
            return attempt.finish(
                .alreadyClosed, message: "chain's current run is \(description.status.rawValue)",
                elapsed: elapsed(attempt))
        }
        if let firstRun, !description.firstRunID.isEmpty, description.firstRunID != firstRun {
            return attempt.finish(
                .runChanged,
                message:
                    "the open run \(description.runID) belongs to another chain (first run \(description.firstRunID))",
                elapsed: elapsed(attempt))
        }
        firstRun = firstRun ?? (description.firstRunID.isEmpty ? description.runID : description.firstRunID)
        let chain = firstRun
        let outcome = await call(counting: &attempt, paced: .retries, countsAsAttempt: true) {
            () async throws(RPCError) in
            try await act(on: current, chain: chain)
        }
        switch outcome {
        case .success:
            var result = attempt.finish(
                .done(options.action), message: "chain \(chain ?? "")", elapsed: elapsed(attempt))
            result.chain = chain
            return result
        case .failure(let failure):
            // A retried terminate answers "already completed" when an earlier attempt landed
            // before the connection dropped; Describe of the chain's current run confirms it.
            if [.alreadyClosed, .failed].contains(failure.outcome), attempt.sawAmbiguousFailure,
                await actedByEarlierAttempt(current, &attempt)
            {
                var result = attempt.finish(
                    .done(options.action), message: "chain \(chain ?? ""); confirmed by Describe after a retry",
                    elapsed: elapsed(attempt))
                result.chain = chain
                return result
            }
            return attempt.finish(failure, elapsed: elapsed(attempt))
        }
    }

    /// `--dry-run`: what would happen, from the listing when it is fresh, else from Describe.
    func predict(_ job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> JobResult {
        if let status = job.listedStatus, !options.chain {
            return status.isClosed
                ? attempt.finish(.alreadyClosed, message: "run is \(status.rawValue)", elapsed: .zero)
                : attempt.finish(.dryRun(options.action), elapsed: .zero)
        }
        let target = options.chain ? WorkflowTarget(workflowID: job.target.workflowID) : job.target
        switch await describe(target, &attempt, pacing: .every) {
        case .success(let description):
            attempt.runID = description.runID
            if description.status.isClosed {
                return await closed(job, description, &attempt)
            }
            return attempt.finish(.dryRun(options.action), elapsed: elapsed(attempt))
        case .failure(let failure):
            return attempt.finish(failure, elapsed: elapsed(attempt))
        }
    }

    /// The outcome for a run found closed: `run_changed` when the job pinned it and a newer run
    /// of the workflow is open (continue-as-new, reset, a new start), else `already_closed`.
    func closed(_ job: Job, _ description: ExecutionDescription, _ attempt: inout JobAttempt<C.Instant>) async
        -> JobResult
    {
        if job.target.runID != nil, let replacement = await replacement(of: job.target, &attempt) {
            return attempt.finish(.runChanged, message: replacement, elapsed: elapsed(attempt))
        }
        return attempt.finish(
            .alreadyClosed, message: "run is \(description.status.rawValue)", elapsed: elapsed(attempt))
    }

    /// A description of the open run that replaced `pinned`, if there is one.
    func replacement(of pinned: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async -> String? {
        guard case .success(let current) = await describe(WorkflowTarget(workflowID: pinned.workflowID), &attempt),
            current.runID != pinned.runID, !current.status.isClosed
        else { return nil }
        return
            "run \(pinned.runID ?? "") was replaced by run \(current.runID) (\(current.status.rawValue)); not touched"
    }

    /// A stable request ID per run, so that a repeated cancel (a retry, a resumed run) is
    /// de-duplicated by the server.
    ///
    /// The server keeps a cancel's request ID per run and refuses one longer than its ID limit
    /// (1,000 bytes, like a workflow ID), so the ID names the run (a UUID) or the chain's first
    /// run, not the workflow ID, which may itself be 1,000 bytes long.
    static func cancelRequestID(for target: WorkflowTarget, chain: String? = nil) -> String {
        let run = target.runID.map { "run-\($0)" } ?? chain.map { "chain-\($0)" } ?? "current"
        return "temporal-sweep-cancel:\(run)"
    }

    /// Whether an earlier attempt of this job took effect (its failure was ambiguous): the run is
    /// terminated, or has the cancel request (or closed CANCELED), since the first call.
    private func actedByEarlierAttempt(_ target: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async -> Bool {
        let since = attempt.firstCallDate - Self.skew
        let described = await call(counting: &attempt, paced: .none) { () async throws(RPCError) in
            try await service.describe(target)
        }
        guard case .success(let description) = described else { return false }
        let closedSince = (description.closeTime ?? .distantPast) >= since
        switch options.action {
        case .terminate: return description.status == .terminated && closedSince
        case .cancel: return description.cancelRequested || (description.status == .canceled && closedSince)
        }
    }
}
