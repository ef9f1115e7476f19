import Foundation
import SweepGRPC

/// The stage after the engine: escalation (`--escalate-after`) and waiting (`--wait`) for the runs
/// the engine acted on, or an earlier run of a resumed report did. It sends through the engine's
/// ``Calls``, so the run's rate limit and retry policy hold across both.
package struct FollowUpStage<C: Clock>: MakesCalls where C.Duration == Duration {
    package typealias Pending = ActedRun<C.Instant>

    let options: ExecutorOptions
    let calls: Calls<C>

    /// The follow-ups of `engine`'s runs, sharing its calls (rate limiter, retry policy, clock).
    package init(sharing engine: Executor<C>) {
        options = engine.options
        calls = engine.calls
    }

    /// Clock skew allowed between this machine and the server when comparing their times.
    static var skew: TimeInterval { Executor<C>.skew }

    /// Escalation: polls each cancelled run (Describe, paced) until it closes, reported `canceled`
    /// or `closed` at once, or until its grace period is over, when a run still open is terminated
    /// (`escalated_terminated`). It ends as soon as every run has closed. Each gets a second report
    /// row with its `final_status`. With `--chain`, the chain's current run is what is looked at
    /// and terminated.
    /// - Returns: the runs still open after escalation (a terminate that failed).
    package func escalate(
        _ pending: [Pending], after grace: Duration, pollInterval: Duration, reportingTo reporter: some ReportSink
    ) async throws(SweepError) -> [Pending] {
        var open = await withChains(pending)
        var stillOpen: [Pending] = []
        while !open.isEmpty, !Task.isCancelled {
            var next: [Pending] = []
            let notChecked = try await forEachBounded(
                open, limit: options.concurrency, { item in await escalationStep(item, after: grace) }
            ) { (item, result) throws(SweepError) in
                guard let result else { return next.append(item) }
                try reporter.record(result)
                if result.finalStatus == .running {
                    // Waited for next (`--wait`), its row replacing this one's outcome.
                    var open = item
                    open.lastReported = result.outcome
                    stillOpen.append(open)
                }
            }
            open = next + notChecked
            guard let earliest = open.map({ $0.actedAt.advanced(by: grace) }).min() else { break }
            let wake = min(clock.now.advanced(by: pollInterval), earliest)
            do { try await clock.sleep(until: wake, tolerance: nil) } catch { break }
        }
        for item in open {
            // Stopped: not escalated. Not settled for a resume that escalates (see ReportJournal).
            var attempt = followUpAttempt(item)
            var result = attempt.finish(
                .cancelRequested, message: "stopped before the grace period ended; not escalated", elapsed: .zero)
            result.finalStatus = .running
            result.supersedes = item.lastReported
            try reporter.record(result)
        }
        return stillOpen
    }

    /// One look at a cancelled run: its closing row, its escalation once the grace period is over,
    /// or `nil` while it is open within the grace period.
    private func escalationStep(_ item: Pending, after grace: Duration) async -> JobResult? {
        var attempt = followUpAttempt(item)
        let due = clock.now >= item.actedAt.advanced(by: grace)
        let current: ExecutionDescription
        switch await currentRun(of: item, &attempt, paced: due ? .none : .every) {
        case .success(let found): current = found
        case .failure(let failure):
            guard due else { return nil }
            var result = attempt.finish(
                .failed, message: "could not describe the run after the grace period: \(failure.message)",
                elapsed: elapsed(attempt))
            result.finalStatus = .running
            result.supersedes = item.lastReported
            return result
        }
        if current.status.isClosed {
            return closingRow(
                &attempt, item, current.status,
                message: due ? "closed within the grace period" : "closed after the cancel request")
        }
        guard due else { return nil }
        let reason = "\(options.reason) (escalated: still open \(grace.inSeconds) s after the cancel request)"
        let (target, chain) = terminationTarget(item)
        let terminated = await call(counting: &attempt, paced: .every, countsAsAttempt: true) {
            () async throws(RPCError) in
            try await service.terminate(target, chain: chain, reason: reason)
        }
        switch terminated {
        case .success:
            var result = attempt.finish(
                .escalatedTerminated, message: "still open after the grace period", elapsed: elapsed(attempt))
            result.finalStatus = .terminated
            result.supersedes = item.lastReported
            return result
        case .failure(let failure) where failure.outcome == .alreadyClosed || attempt.sawAmbiguousFailure:
            // It closed between the Describe and the terminate; or an attempt whose connection
            // dropped landed after all, and a retry found it done or failed for another reason.
            let found: ExecutionDescription? =
                if case .success(let found) = await currentRun(of: item, &attempt, paced: .none) { found } else { nil }
            if let found, found.status == .terminated, attempt.sawAmbiguousFailure,
                (found.closeTime ?? .distantPast) >= attempt.firstCallDate - Self.skew
            {
                var result = attempt.finish(
                    .escalatedTerminated,
                    message: "still open after the grace period; confirmed by Describe after a retry",
                    elapsed: elapsed(attempt))
                result.finalStatus = .terminated
                result.supersedes = item.lastReported
                return result
            }
            guard failure.outcome == .alreadyClosed else {
                var result = attempt.finish(failure, elapsed: elapsed(attempt))
                result.finalStatus = .running
                result.supersedes = item.lastReported
                return result
            }
            return closingRow(
                &attempt, item, found?.status ?? .unspecified, message: "closed just before the escalation")
        case .failure(let failure):
            var result = attempt.finish(failure, elapsed: elapsed(attempt))
            result.finalStatus = .running
            result.supersedes = item.lastReported
            return result
        }
    }

    private func closingRow(
        _ attempt: inout JobAttempt<C.Instant>, _ item: Pending, _ status: WorkflowStatus, message: String
    ) -> JobResult {
        var result = attempt.finish(
            status == .canceled ? .canceled : .closed, message: message, elapsed: elapsed(attempt))
        result.finalStatus = status
        result.supersedes = item.lastReported
        return result
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
            var attempt = followUpAttempt(item)
            var result = attempt.finish(
                item.outcome,
                message: stopped
                    ? "stopped while waiting for it to close" : "still open after --wait \(timeout.inSeconds) s",
                elapsed: item.actedAt.duration(to: clock.now))
            result.finalStatus = .running
            result.supersedes = item.lastReported
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
        result.supersedes = item.lastReported
        return result
    }

    /// The run a follow-up looks at: the run acted on, or with `--chain` the chain's current run
    /// (a run that continued as new is not closed for this purpose; its successor is looked at).
    /// When the workflow's current run belongs to another chain, the chain acted on has closed:
    /// the run acted on is described instead.
    private func currentRun(of item: Pending, _ attempt: inout JobAttempt<C.Instant>, paced: Calls<C>.Pacing) async
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
    private func withChains(_ items: [Pending]) async -> [Pending] {
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
    private func terminationTarget(_ item: Pending) -> (WorkflowTarget, chain: String?) {
        guard let chain = item.chain else { return (item.pinned, nil) }
        return (WorkflowTarget(workflowID: item.job.target.workflowID), chain)
    }

    /// A follow-up's record for a run acted on in the first pass.
    private func followUpAttempt(_ item: Pending) -> JobAttempt<C.Instant> {
        var attempt = JobAttempt<C.Instant>(job: item.job, action: options.action)
        attempt.runID = item.runID
        return attempt
    }
}

extension ActedRun {
    /// The run acted on, pinned.
    var pinned: WorkflowTarget { WorkflowTarget(workflowID: job.target.workflowID, runID: runID) }
}
