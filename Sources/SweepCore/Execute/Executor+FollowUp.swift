import Foundation
import SweepGRPC

/// What to do after the first pass: escalate cancels that were ignored, and wait for closes.
package struct FollowUpOptions: Sendable, Hashable {
    /// `cancel --escalate-after`: terminate what is still open this long after its cancel request.
    package var escalateAfter: Duration?
    /// `--wait`: poll until each run acted on has closed, or this long has passed.
    package var waitTimeout: Duration?
    /// The pause between polling rounds.
    package var pollInterval: Duration

    package init(escalateAfter: Duration? = nil, waitTimeout: Duration? = nil, pollInterval: Duration = .seconds(1)) {
        self.escalateAfter = escalateAfter
        self.waitTimeout = waitTimeout
        self.pollInterval = pollInterval
    }

    package var isEmpty: Bool { escalateAfter == nil && waitTimeout == nil }
}

extension Executor {
    typealias Pending = ActedRun<C.Instant>

    /// Escalation: for each cancelled run, once its grace period is over, Describe it; a run still
    /// open is terminated (`escalated_terminated`), a closed one is reported `canceled` or `closed`.
    /// Each gets a second report row with its `final_status`.
    /// - Returns: the runs still open after escalation (a terminate that failed).
    func escalate(_ pending: [Pending], after grace: Duration, reportingTo reporter: some ReportSink)
        async throws(SweepError) -> [Pending]
    {
        var stillOpen: [Pending] = []
        let notStarted = try await forEachBounded(
            pending, limit: options.concurrency, { item in await escalate(item, after: grace) }
        ) {
            (item, result) throws(SweepError) in
            try reporter.record(result)
            if result.finalStatus == .running { stillOpen.append(item) }
        }
        return stillOpen + notStarted
    }

    private func escalate(_ item: Pending, after grace: Duration) async -> JobResult {
        var attempt = followUpAttempt(item)
        do {
            try await clock.sleep(until: item.actedAt.advanced(by: grace), tolerance: nil)
        } catch {
            return attempt.finish(
                .cancelRequested, message: "stopped before the grace period ended; not escalated", elapsed: .zero)
        }
        let pinned = item.pinned
        guard
            case .success(let description) = await call(
                counting: &attempt, paced: .none, { () async throws(RPCError) in try await service.describe(pinned) })
        else {
            return attempt.finish(
                .failed, message: "could not describe the run after the grace period", elapsed: elapsed(attempt))
        }
        if description.status.isClosed {
            var result = attempt.finish(
                description.status == .canceled ? .canceled : .closed, message: "closed within the grace period",
                elapsed: elapsed(attempt))
            result.finalStatus = description.status
            return result
        }
        let reason = "\(options.reason) (escalated: still open \(grace.inSeconds) s after the cancel request)"
        let terminated = await call(counting: &attempt, paced: .every, countsAsAttempt: true) {
            () async throws(RPCError) in
            try await service.terminate(pinned, chain: nil, reason: reason)
        }
        switch terminated {
        case .success:
            var result = attempt.finish(
                .escalatedTerminated, message: "still open after the grace period", elapsed: elapsed(attempt))
            result.finalStatus = .terminated
            return result
        case .failure(let failure) where failure.outcome == .alreadyClosed:
            // It closed between the Describe and the terminate.
            let status = (try? await service.describe(pinned))?.status ?? .unspecified
            var result = attempt.finish(
                status == .canceled ? .canceled : .closed, message: "closed just before the escalation",
                elapsed: elapsed(attempt))
            result.finalStatus = status
            return result
        case .failure(let failure):
            var result = attempt.finish(failure, elapsed: elapsed(attempt))
            result.finalStatus = .running
            return result
        }
    }

    /// `--wait`: polls the runs acted on (Describe, paced by the rate limiter) until each has
    /// closed or `timeout` has passed; each gets a second report row with its `final_status`.
    /// - Returns: how many were still open at the end.
    func waitForClose(
        _ pending: [Pending], timeout: Duration, pollInterval: Duration, reportingTo reporter: some ReportSink
    ) async throws(SweepError) -> Int {
        let deadline = clock.now.advanced(by: timeout)
        var open = pending
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
        for item in open {
            var attempt = followUpAttempt(item)
            var result = attempt.finish(
                item.outcome, message: "still open after --wait \(timeout.inSeconds) s",
                elapsed: item.actedAt.duration(to: clock.now))
            result.finalStatus = .running
            try reporter.record(result)
        }
        return open.count
    }

    /// One Describe of a run being waited for: its closing row, or nil while it is still open.
    private func poll(_ item: Pending) async -> JobResult? {
        var attempt = followUpAttempt(item)
        let pinned = item.pinned
        guard
            case .success(let description) = await call(
                counting: &attempt, paced: .every, { () async throws(RPCError) in try await service.describe(pinned) }),
            description.status.isClosed
        else { return nil }
        var result = attempt.finish(
            item.outcome, message: "closed as \(description.status.rawValue)",
            elapsed: item.actedAt.duration(to: clock.now))
        result.finalStatus = description.status
        return result
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
