import Synchronization

/// One run acted on in the first pass, for the follow-up to look at again.
package struct ActedRun<Instant: InstantProtocol & Sendable>: Sendable {
    package var job: Job
    package var runID: String?
    /// `--chain`: the first run of the continue-as-new chain acted on; follow-ups look at the
    /// chain's current run, not at the run that was current when it was acted on.
    package var chain: String?
    package var outcome: Outcome
    package var actedAt: Instant
    /// The outcome its latest row in this run's report says, which a follow-up's row replaces in
    /// the tally; `nil` for a run an earlier run of a resumed report acted on.
    package var lastReported: Outcome?

    package init(
        job: Job, runID: String?, chain: String? = nil, outcome: Outcome, actedAt: Instant,
        lastReported: Outcome?? = .none
    ) {
        self.job = job
        self.runID = runID
        self.chain = chain
        self.outcome = outcome
        self.actedAt = actedAt
        self.lastReported = lastReported ?? outcome
    }
}

/// Passes results on to a sink and remembers the runs that a follow-up (`--wait`,
/// `--escalate-after`) must look at again: those cancelled or terminated, with when.
package final class FollowUpCollector<Instant: InstantProtocol & Sendable>: ReportSink {
    private let sink: any ReportSink
    private let now: @Sendable () -> Instant
    private let pending = Mutex<[ActedRun<Instant>]>([])

    package init(_ sink: any ReportSink, now: @escaping @Sendable () -> Instant) {
        self.sink = sink
        self.now = now
    }

    package func record(_ result: JobResult) throws(SweepError) {
        try sink.record(result)
        guard result.outcome == .cancelRequested || result.outcome == .terminated else { return }
        let entry = ActedRun(
            job: result.job, runID: result.runID, chain: result.chain, outcome: result.outcome, actedAt: now())
        pending.withLock { $0.append(entry) }
    }

    /// The runs acted on, in the order they were.
    package var collected: [ActedRun<Instant>] { pending.withLock { $0 } }
}
