import Foundation
import SweepGRPC

/// `--escalate-after`: terminate what is still open once its grace period is over.
extension FollowUpStage {
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
            let attempt = followUpAttempt(item)
            var result = attempt.finish(
                .cancelRequested, message: "stopped before the grace period ended; not escalated", elapsed: .zero)
            result.finalStatus = .running
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
            return result
        case .failure(let failure) where failure.outcome == .alreadyClosed || attempt.sawAmbiguousFailure:
            // It closed between the Describe and the terminate; or an attempt whose connection
            // dropped landed after all, and a retry found it done or failed for another reason.
            let found: ExecutionDescription? =
                if case .success(let found) = await currentRun(of: item, &attempt, paced: .none) { found } else { nil }
            if let found, attempt.sawAmbiguousFailure, found.shows(.terminate, since: attempt.firstCallDate) {
                var result = attempt.finish(
                    .escalatedTerminated,
                    message: "still open after the grace period; confirmed by Describe after a retry",
                    elapsed: elapsed(attempt))
                result.finalStatus = .terminated
                return result
            }
            guard failure.outcome == .alreadyClosed else {
                var result = attempt.finish(failure, elapsed: elapsed(attempt))
                result.finalStatus = .running
                return result
            }
            return closingRow(
                &attempt, item, found?.status ?? .unspecified, message: "closed just before the escalation")
        case .failure(let failure):
            var result = attempt.finish(failure, elapsed: elapsed(attempt))
            result.finalStatus = .running
            return result
        }
    }

    func closingRow(
        _ attempt: inout JobAttempt<C.Instant>, _ item: Pending, _ status: WorkflowStatus, message: String
    ) -> JobResult {
        var result = attempt.finish(
            status == .canceled ? .canceled : .closed, message: message, elapsed: elapsed(attempt))
        result.finalStatus = status
        return result
    }
}
