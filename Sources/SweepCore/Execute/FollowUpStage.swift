import Foundation
import SweepGRPC

/// The stage after the engine: escalation (`--escalate-after`) and waiting (`--wait`) for the runs
/// the engine acted on, or an earlier run of a resumed report did. It sends through the engine's
/// ``Calls``, so the run's rate limit and retry policy hold across both.
package struct FollowUpStage<C: Clock>: MakesCalls where C.Duration == Duration {
    package typealias Pending = ActedRun<C.Instant>

    let options: ExecutorOptions
    let calls: Calls<C>

    /// Follow-ups sending through `calls`, which the engine shares (one rate limit, one retry
    /// policy, one clock), with the run's action, reason and concurrency from `options`.
    init(calls: Calls<C>, options: ExecutorOptions) {
        self.options = options
        self.calls = calls
    }

    /// The follow-ups of `engine`'s runs, sharing its calls.
    package init(sharing engine: Executor<C>) {
        self.init(calls: engine.calls, options: engine.options)
    }

    /// `--wait`: polls the runs acted on (Describe, paced by the rate limiter) until each has
    /// closed or `timeout` has passed; each gets a second report row with its `final_status`.
    /// - Returns: how many were still open at the end.
    package func waitForClose(
        _ pending: [Pending], timeout: Duration, pollInterval: Duration, reportingTo reporter: some ReportSink
    ) async throws(SweepError) -> Int {
        let deadline = clock.now.advanced(by: timeout)
        var open = await withChains(pending)
        while !open.isEmpty, !Task.isCancelled {
            var stillOpen: [Pending] = []
            let notPolled = try await forEachBounded(open, limit: options.concurrency, { item in await poll(item) }) {
                (item, closed) throws(SweepError) in
                if let closed { try reporter.record(closed) } else { stillOpen.append(item) }
            }
            open = stillOpen + notPolled
            guard !open.isEmpty, clock.now < deadline else { break }
            do { try await clock.sleep(for: min(pollInterval, clock.now.duration(to: deadline))) } catch { break }
        }
        let stopped = Task.isCancelled
        for item in open {
            let attempt = followUpAttempt(item)
            var result = attempt.finish(
                item.outcome,
                message: stopped
                    ? "stopped while waiting for it to close" : "still open after --wait \(timeout.inSeconds) s",
                elapsed: item.actedAt.duration(to: clock.now))
            result.finalStatus = .running
            try reporter.record(result)
        }
        return open.count
    }

    /// One Describe of a run being waited for: its closing row, or nil while it is still open.
    private func poll(_ item: Pending) async -> JobResult? {
        var attempt = followUpAttempt(item)
        guard case .success(let description) = await currentRun(of: item, &attempt, paced: .every),
            description.status.isClosed
        else { return nil }
        var result = attempt.finish(
            item.outcome, message: "closed as \(description.status.rawValue)",
            elapsed: item.actedAt.duration(to: clock.now))
        result.finalStatus = description.status
        return result
    }

    /// The run a follow-up looks at: the run acted on, or with `--chain` the chain's current run
    /// (a run that continued as new is not closed for this purpose; its successor is looked at).
    /// When the workflow's current run belongs to another chain, the chain acted on has closed:
    /// the run acted on is described instead.
    func currentRun(of item: Pending, _ attempt: inout JobAttempt<C.Instant>, paced: Calls<C>.Pacing) async
        -> Result<ExecutionDescription, CallFailure>
    {
        let workflowID = item.job.target.workflowID
        if let chain = item.chain {
            let current = await call(counting: &attempt, paced: paced) { () async throws(RPCError) in
                try await service.describe(WorkflowTarget(workflowID: workflowID))
            }
            guard case .success(let description) = current else { return current }
            let first = description.firstRunID.isEmpty ? description.runID : description.firstRunID
            if first == chain {
                attempt.runID = description.runID
                return current
            }
        }
        let pinned = item.pinned
        return await call(counting: &attempt, paced: paced) { () async throws(RPCError) in
            try await service.describe(pinned)
        }
    }

    /// `--chain`: each run with the chain it belongs to. A run an earlier run of a resumed report
    /// acted on comes without it (the report does not record it): its first run is asked for.
    func withChains(_ items: [Pending]) async -> [Pending] {
        guard options.chain, items.contains(where: { $0.chain == nil }) else { return items }
        var resolved: [Pending] = []
        let notStarted =
            (try? await forEachBounded(items, limit: options.concurrency, { item in await withChain(item) }) {
                (_: Pending, item: Pending) throws(SweepError) in resolved.append(item)
            }) ?? []
        return resolved + notStarted
    }

    private func withChain(_ item: Pending) async -> Pending {
        guard item.chain == nil else { return item }
        var attempt = followUpAttempt(item)
        var item = item
        let pinned = item.pinned
        if case .success(let run) = await call(
            counting: &attempt, paced: .none, { () async throws(RPCError) in try await service.describe(pinned) })
        {
            item.chain = run.firstRunID.isEmpty ? run.runID : run.firstRunID
        }
        return item
    }

    /// What an escalation terminates: the run acted on, or the chain's current run.
    func terminationTarget(_ item: Pending) -> (WorkflowTarget, chain: String?) {
        guard let chain = item.chain else { return (item.pinned, nil) }
        return (WorkflowTarget(workflowID: item.job.target.workflowID), chain)
    }

    /// A follow-up's record for a run acted on in the first pass.
    func followUpAttempt(_ item: Pending) -> JobAttempt<C.Instant> {
        var attempt = JobAttempt<C.Instant>(job: item.job, action: options.action)
        attempt.runID = item.runID
        attempt.isFollowUp = true
        attempt.supersedes = item.lastReported
        return attempt
    }
}

extension ActedRun {
    /// The run acted on, pinned.
    var pinned: WorkflowTarget { WorkflowTarget(workflowID: job.target.workflowID, runID: runID) }
}
