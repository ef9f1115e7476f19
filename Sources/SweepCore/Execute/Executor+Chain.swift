import Foundation
import SweepGRPC

extension Executor {
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
            if let closedByUs = await closedByEarlierRun(job, description, &attempt) { return closedByUs }
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
        if let chainRun = firstRun, let newChain = await leftAloneIfNewChain(description, firstRun: chainRun, &attempt)
        {
            return newChain
        }
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
}
