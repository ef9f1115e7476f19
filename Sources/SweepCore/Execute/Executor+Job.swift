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
        if job.unrecorded, let earlier = options.earlierRun {
            attempt.judgeAsUnrecorded(since: earlier.began)
        }
        if options.dryRun {
            return await predict(job, &attempt)
        }
        if options.chain {
            return await performOnChain(job, &attempt)
        }
        var target = job.target
        var described = false
        var slotTaken = false
        var trustsListing = false

        if let listed = Self.listedRun(job), listed.status.isClosed {
            // A listing (or a bulk lookup) found the run it pins closed: closed is final, however
            // old that word is, so nothing is sent to it, for either action.
            if job.replacement == nil, let stopped = await takeSlot(&attempt) { return stopped }
            return await closed(job, Self.description(of: listed, job), &attempt)
        }
        switch await pinUnrecorded(job, &attempt) {
        case .finished(let result)?:
            return result
        case .retry(let run)?:
            target = run
            described = true
        case nil:
            break
        }
        if options.action == .cancel, let listed = Self.listedRun(job) {
            // A listing (or a bulk lookup) said which run this is and that it is open. Take the
            // slot first, then judge at send time whether that word is still fresh.
            if let stopped = await takeSlot(&attempt) { return stopped }
            slotTaken = true
            if let listedAt = job.listedAt, listedAt.duration(to: .now) < options.listingFreshness {
                // Fresh: one call, the cancel, pinned to that run (a run that closed in that
                // moment answers OK too: it is read back, `cancelFoundClosed`).
                target.runID = listed.runID
                attempt.runID = listed.runID
                trustsListing = true
            }
        }
        if options.action == .terminate, job.target.runID == nil, let listed = Self.listedRun(job) {
            // A bulk lookup named the workflow's open run: the terminate is pinned to it, so that
            // the row names the run it ended. However old that word is, it is safe: a run that
            // closed since is refused by the server, and the ID's current run is then followed
            // only if it started before the call (`currentRun(afterStaleLookup:)`).
            target.runID = listed.runID
            attempt.runID = listed.runID
        }
        if options.action == .cancel, !trustsListing {
            // A cancel on a closed run answers OK and does nothing, so Describe first: it tells a
            // closed run from an open one, and pins the run we are about to cancel. The job takes
            // its rate-limiter slot here (unless it has one), so Describe and cancel go out back to
            // back.
            described = true
            switch await describe(target, &attempt, pacing: slotTaken ? .none : .every) {
            case .success(let description):
                target.runID = description.runID
                attempt.runID = description.runID
                if description.status.isClosed {
                    return await closed(job, description, &attempt)
                }
                if let result = leftAloneIfNew(description, &attempt) { return result }
            case .failure(let failure):
                return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }

        var pinned = target
        var pacing: Calls<C>.Pacing = described || slotTaken ? .retries : .every
        var followedLookup = false
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
                if trustsListing, let closedFirst = await cancelFoundClosed(current, job, &attempt) {
                    return closedFirst
                }
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
                if job.target.runID == nil, current.runID != nil, !followedLookup {
                    // Pinned by a bulk lookup that had gone stale: the ID names its current run.
                    followedLookup = true
                    switch await currentRun(afterStaleLookup: job, &attempt) {
                    case .retry(let run)?:
                        pinned = run
                        pacing = .every
                        continue
                    case .finished(let result)?:
                        return result
                    case nil:
                        break
                    }
                }
                if current.runID != nil, let replacement = await replacement(of: current, &attempt) {
                    return attempt.finish(.runChanged, message: replacement, elapsed: elapsed(attempt))
                }
                return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }
    }

    /// The run a listing or a bulk lookup named for this job, and its status; `nil` when none did,
    /// or when a lookup found only a closed run for an ID given without one (the Describe path
    /// then finds the current run: visibility may not show a newer one yet).
    static func listedRun(_ job: Job) -> (runID: String, status: WorkflowStatus)? {
        guard let status = job.listedStatus else { return nil }
        if let runID = job.target.runID { return (runID, status) }
        guard let runID = job.lookedUpRunID, !status.isClosed else { return nil }
        return (runID, status)
    }

    static func description(of listed: (runID: String, status: WorkflowStatus), _ job: Job) -> ExecutionDescription {
        ExecutionDescription(
            workflowID: job.target.workflowID, runID: listed.runID, workflowType: job.workflowType ?? "",
            status: listed.status)
    }

    /// Takes this job's rate-limiter slot ahead of its first call.
    /// - Returns: the `not_attempted` result when the run is stopped first, else `nil`.
    func takeSlot(_ attempt: inout JobAttempt<C.Instant>) async -> JobResult? {
        do {
            try await limiter.acquire()
            return nil
        } catch {
            return attempt.finish(
                CallFailure(outcome: .notAttempted, error: nil, message: "stopped before it was sent"), elapsed: .zero)
        }
    }

    /// Sends the action for one target.
    func act(on target: WorkflowTarget, chain: String?) async throws(RPCError) {
        switch options.action {
        case .cancel:
            try await service.requestCancel(
                target, chain: chain, reason: options.reason, requestID: Self.cancelRequestID(for: target, chain: chain)
            )
        case .terminate:
            try await service.terminate(target, chain: chain, reason: options.reason)
        case nil:
            return  // A plan is a dry run: it never gets here.
        }
    }

    /// `--dry-run`: what would happen, from the listing when it is fresh, else from Describe.
    func predict(_ job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> JobResult {
        // A resumed run (the server engine plans its slices so) never plans a run started since.
        switch await pinUnrecorded(job, &attempt) {
        case .finished(let result)?:
            return result
        case .retry?:
            return attempt.finish(.dryRun(options.action), elapsed: elapsed(attempt))
        case nil:
            break
        }
        if !options.chain, let listed = Self.listedRun(job) {
            if listed.status.isClosed {
                // Whether a newer run replaced it is asked (unless the listing's lookup said), as
                // the real run would.
                if job.replacement == nil, let stopped = await takeSlot(&attempt) { return stopped }
                return await closed(job, Self.description(of: listed, job), &attempt)
            }
            attempt.runID = listed.runID
            return attempt.finish(.dryRun(options.action), elapsed: .zero)
        }
        let target = options.chain ? WorkflowTarget(workflowID: job.target.workflowID) : job.target
        switch await describe(target, &attempt, pacing: .every) {
        case .success(let description):
            attempt.runID = description.runID
            if description.status.isClosed {
                return await closed(job, description, &attempt)
            }
            if let result = leftAloneIfNew(description, &attempt) { return result }
            return attempt.finish(.dryRun(options.action), elapsed: elapsed(attempt))
        case .failure(let failure):
            return attempt.finish(failure, elapsed: elapsed(attempt))
        }
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
}
