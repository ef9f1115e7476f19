import Foundation
package import Logging
import SweepGRPC
import Synchronization

/// The client-side engine: a task group with at most `concurrency` jobs in flight, cancel or
/// terminate calls paced by one shared, throttling-aware rate limiter, transient failures retried
/// under the run's ``RetryPolicy``.
///
/// Children return a ``JobResult`` and never throw; only the parent writes the report. What each
/// job does is the per-job policy in `Executor+Job.swift`; how each call is paced and retried is
/// ``Calls``.
///
/// Cancelling the task that runs ``run(_:reportingTo:)`` is a graceful stop: no new job is
/// started, calls already sent finish (each is bounded by its deadline), jobs still waiting for a
/// rate-limiter slot and every job left in the source are reported `not_attempted`.
package struct Executor<C: Clock>: SweepEngine, MakesCalls where C.Duration == Duration {
    package let options: ExecutorOptions
    let calls: Calls<C>

    package init(
        service: any WorkflowService, options: ExecutorOptions, clock: C,
        logger: Logger = Logger(label: "sweep.executor")
    ) {
        self.init(calls: Calls(service: service, options: options, clock: clock, logger: logger), options: options)
    }

    /// An engine sending through `calls`, which the follow-up stage can share.
    init(calls: Calls<C>, options: ExecutorOptions) {
        self.options = options
        self.calls = calls
    }

    package func run<Source: AsyncSequence, Sink: ReportSink>(_ jobs: Source, reportingTo reporter: Sink)
        async throws(SweepError) where Source.Element == Job
    {
        var iterator = jobs.makeAsyncIterator()
        // A duplicate's row follows the row of the occurrence it refers to: while that one is in
        // flight, its duplicates wait here (at most one entry per job in flight).
        var waitingDuplicates: [ExactKey: [JobResult]] = [:]
        // Jobs handed out, and how many of them have started (and so booked their slot, or are
        // about to): the rest will book theirs soon, which ``pauseBeforeNextJob(unstarted:)``
        // counts before the limiter has seen them.
        var handedOut = 0
        let started = StartedJobs()
        func nextJob() async throws(SweepError) -> Job? {
            while var job = try await JobStream.next(&iterator) {
                // The same run while it is in flight (a resumed job pinned to the run a listed one
                // names) is a duplicate too: sent once.
                if waitingDuplicates[job.deduplicationKey] != nil { job.isDuplicate = true }
                guard job.isDuplicate else {
                    waitingDuplicates[job.deduplicationKey] = []
                    handedOut += 1
                    return job
                }
                let duplicate = JobStream.unsent(job, action: options.action)
                if waitingDuplicates[job.deduplicationKey] != nil {
                    waitingDuplicates[job.deduplicationKey, default: []].append(duplicate)
                } else {
                    try reporter.record(duplicate)
                }
            }
            return nil
        }
        try await forEachBounded(
            limit: options.concurrency, next: nextJob,
            pause: { pauseBeforeNextJob(unstarted: handedOut - started.count) },
            { job in
                started.add()
                return await perform(job)
            }
        ) {
            (_: Job, finished: JobResult) throws(SweepError) in
            try reporter.record(finished)
            for duplicate in waitingDuplicates.removeValue(forKey: finished.job.deduplicationKey) ?? [] {
                try reporter.record(duplicate)
            }
        }
        // Stopped: account for every job the source still holds, without sending anything (a
        // listing stops at the page it has: see QueryJobs). Nothing is in flight any more, so no
        // duplicate has to wait for its first occurrence.
        guard Task.isCancelled else { return }
        try await JobStream.drain(&iterator, action: options.action, into: reporter)
    }

    /// Holds the next job back while the slots already booked (and those the `unstarted` jobs are
    /// about to book) reach further than ``admissionHorizon(rate:)`` ahead. At `--rps 10` with 64
    /// in flight, a job handed out at once would wait 6.4 s for its slot, and a cancel would find
    /// its listing's word (trusted for two seconds) stale and Describe first: two calls, not one.
    /// Jobs in flight, retries and the follow-up stage's calls all book slots, so all count.
    private func pauseBeforeNextJob(unstarted: Int) -> (@Sendable () async -> Void)? {
        let rate = calls.limiter.rate
        let early = Self.admissionPause(backlog: calls.limiter.backlog, unstarted: unstarted, rate: rate)
        guard early > .zero else { return nil }
        let clock = calls.clock
        return { try? await clock.sleep(for: early) }
    }

    /// How long the next job is held back: how far the slots booked (`backlog`) and those the
    /// `unstarted` jobs will book reach past ``admissionHorizon(rate:)``; zero when they do not.
    package static func admissionPause(backlog: Duration, unstarted: Int, rate: Double) -> Duration {
        let booked = backlog + .seconds(Double(max(0, unstarted)) / rate)
        return max(.zero, booked - admissionHorizon(rate: rate))
    }

    /// How far ahead of its slot a job may be handed out: a second, or two slots when they are
    /// further apart (a job is then always waiting for the next slot). A second's worth of booked
    /// slots rides out a stall of the engine's task (a loaded machine) without losing rate, as
    /// slots booked by jobs in flight did before jobs were held back.
    package static func admissionHorizon(rate: Double) -> Duration {
        max(.seconds(1), .seconds(2 / rate))
    }
}

/// How many of a run's jobs have started, counted from the jobs' own tasks.
private final class StartedJobs: Sendable {
    private let started = Atomic<Int>(0)

    func add() { started.add(1, ordering: .relaxed) }

    var count: Int { started.load(ordering: .relaxed) }
}
