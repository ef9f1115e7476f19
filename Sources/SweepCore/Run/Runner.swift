import Foundation
import Synchronization

/// One `sweep cancel|terminate|apply` run, or `sweep plan`, start to end: the preflight (survey,
/// server, guards, confirmation), the engine over the job set into one composed sink, the
/// follow-up stage, the summary. Each stage stops gracefully on a signal.
package enum Runner {
    /// Runs a sweep.
    /// - Returns: the summary (its `exitCode` says how it ended); already printed.
    /// - Throws: ``SweepError`` for whole-run failures before anything was sent (usage, input,
    ///   guards, unreachable server, a report that cannot be created). Per-workflow failures are
    ///   `failed` rows, and a failure mid-run ends the run with its summary; neither is thrown.
    package static func run(_ options: SweepOptions, console: some Console) async throws(SweepError) -> Summary {
        if options.engine == .server, options.chain {
            throw SweepError(
                .usage,
                "--chain and --engine server do not go together: a server batch job acts on the runs it is given, not on chains; nothing was sent"
            )
        }
        let display = ProgressDisplay(
            mode: options.progress.besideRows(
                standardOutputIsTerminal: console.standardOutputIsTerminal,
                writesStandardOutput: options.reportPath == "-" || options.reportPath.map(OutputFile.isTerminal) == true
                    || (options.dryRun && options.dryRunTable)))
        let console = ProgressConsole(base: console, display: display)
        guard let action = options.action else {
            throw SweepError(.usage, "say what to do: sweep cancel, terminate or apply --action")
        }
        // The report to resume is read, and checked against this run, before the server is dialled
        // (and never when it is the input: a FIFO would be consumed).
        try Guards.refuseOutputAsInput(options.resumeFrom ?? options.reportPath, options.source)
        let journal = try options.resumeFrom.map { path throws(SweepError) in
            let journal = try ReportJournal(path: path, action: action)
            try journal.check(resumingAs: provenance(options, action: action, at: Date()), path: path)
            return journal
        }
        let earlier = journal.flatMap { journal in options.resumeFrom.map { earlierRun(journal, path: $0, options) } }
        return try await Preflight.prepare(options, console: console) { preflight async throws(SweepError) -> Summary in
            let options = preflight.options
            let followingUp = !options.followUp.isEmpty && !options.dryRun
            // A dry run's table of the runs it would touch goes to standard output, before the report
            // file is made: if it cannot be written, nothing is left behind.
            let table =
                options.dryRun && options.dryRunTable && options.reportPath != "-"
                ? try PlanWriter(path: "-", style: console.standardOutputIsTerminal ? .table : .csv) : nil
            let reporter = try openReport(
                options, journal: journal,
                provenance: provenance(options, action: action, at: preflight.startDate, since: earlier?.began))
            if let journal {
                console.note(
                    "resuming \(reporter.path): \(journal.settledCount(followingUp: followingUp)) workflows already settled are skipped"
                        + (journal.hadTornRow ? "; its torn last row was cut off and that workflow is retried" : ""))
            } else if reporter.path != "-" {
                console.note("report: \(reporter.path)")
            }

            let progress = SourceProgress()
            let resume = journal.map { ResumeFilter($0, followingUp: followingUp) }
            let jobs = ResolvedJobs(
                preflight.planner.jobs(
                    options.source, maximum: options.maxJobs, progress: progress, survey: preflight.survey
                )
                .compactMap { job in
                    guard let resume else { return job }
                    return resume.admit(job)
                },
                resolver: resolver(options, service: preflight.client))
            // The engine and the follow-up stage send through the same calls: one rate limit, one
            // retry policy, one clock for the whole run.
            let (calls, stageOptions) = callsAndOptions(options, preflight, earlier: earlier)
            let batchJobs = StartedBatchJobs()
            let engine: any SweepEngine =
                switch options.engine {
                case .client:
                    Executor(calls: calls, options: stageOptions)
                case .server:
                    ServerBatchEngine(
                        batches: preflight.client, calls: calls, options: stageOptions,
                        batchSize: options.serverBatchSize,
                        jobIDPrefix: options.batchJobIDPrefix(at: preflight.startDate), started: batchJobs,
                        note: { console.note($0) })
                }

            // One sink for the engine: the report; for a dry run also the table of the runs it
            // would touch; for a follow-up, remembering the runs acted on (one entry per run).
            // Statistics see every row the report takes (follow-up rows included), for the
            // progress display and the summary.
            var sink: any ReportSink = reporter
            if let table { sink = TeeSink(reporter, table) }
            let statistics = RunStatistics(sink)
            sink = statistics
            let collector = FollowUpCollector(sink, now: { ContinuousClock().now })
            if followingUp { sink = collector }

            let total = max(
                0, preflight.expectedCount - (journal?.settledCount(followingUp: followingUp) ?? 0))
            let snapshot = progressSnapshot(
                options.verb, statistics, total: total, calls, options,
                serverJobs: options.engine == .server ? batchJobs : nil)

            var stages = Stages(deadline: options.deadline)
            let engineSink = sink
            let stillOpen = await display.showing(snapshot) { () async -> Int in
                await stages.run(console) { () async throws(SweepError) in
                    try await engine.run(jobs, reportingTo: engineSink)
                }
                guard stages.ranToTheEnd, followingUp else { return 0 }
                // Acted on by an earlier run but not seen closed: followed up, never acted on again.
                let acted = collector.collected + (resume?.actedRuns() ?? [])
                return await stages.run(console) { () async throws(SweepError) in
                    try await followUp(
                        FollowUpStage(calls: calls, options: stageOptions), acted, options.followUp, statistics,
                        console)
                } ?? 0
            }
            reporter.sync()

            var summary = Summary(
                action: options.action, dryRun: options.dryRun, tally: reporter.tally, elapsed: .zero,
                clientCPU: .zero, reportPath: reporter.path, interruptedBy: stages.interruptedBy)
            summary.stoppedAtDeadline = stages.stoppedAtDeadline
            summary.latency = statistics.latency
            summary.retries = statistics.retries
            if calls.limiter.wasThrottled {
                summary.throttled = Summary.Throttling(settledAt: calls.limiter.rate, asked: options.rate)
            }
            summary.stillOpen = stillOpen
            summary.stoppedListing = progress.stoppedListing
            summary.overMax = progress.overMax ? options.maxJobs : nil
            summary.failure = stages.failure
            summary.leftAloneEarlier = journal?.finalCount(of: .runChanged) ?? 0
            summary.shard = options.shard
            summary.otherShards = progress.otherShards
            summary.batchJobs = batchJobs.all
            return summary
        }
    }

    /// `sweep plan`: resolves the job set to exact runs (Describe for IDs given without a run) and
    /// writes the plan; sends nothing but reads.
    /// - Returns: the summary, whose tally says what was left out (closed, not found, duplicate).
    package static func plan(_ options: SweepOptions, to path: String, console: some Console) async throws(SweepError)
        -> Summary
    {
        var options = options
        options.dryRun = true
        try Guards.refuseOutputAsInput(path, options.source)
        let display = ProgressDisplay(
            mode: options.progress.besideRows(
                standardOutputIsTerminal: console.standardOutputIsTerminal,
                writesStandardOutput: path == "-" || OutputFile.isTerminal(path)))
        let console = ProgressConsole(base: console, display: display)
        return try await Preflight.prepare(options, console: console) { preflight async throws(SweepError) -> Summary in
            let options = preflight.options
            let plan = try PlanWriter(
                path: path, style: path == "-" && console.standardOutputIsTerminal ? .table : .csv,
                overwrite: options.overwrite)
            let progress = SourceProgress()
            let jobs = ResolvedJobs(
                preflight.planner.jobs(
                    options.source, maximum: options.maxJobs, progress: progress, survey: preflight.survey),
                resolver: resolver(options, service: preflight.client))
            let (calls, stageOptions) = callsAndOptions(options, preflight)
            let engine: any SweepEngine = Executor(calls: calls, options: stageOptions)
            let statistics = RunStatistics(plan)
            let snapshot = progressSnapshot("plan", statistics, total: preflight.expectedCount, calls, options)
            var stages = Stages(deadline: options.deadline)
            await display.showing(snapshot) {
                await stages.run(console) { () async throws(SweepError) in
                    try await engine.run(jobs, reportingTo: statistics)
                }
            }
            let tally = plan.tally
            console.note(
                "plan: \(tally[.planned]) runs to act on\(path == "-" ? "" : ", written to \(path)")"
            )
            var summary = Summary(
                action: options.action, dryRun: true, tally: tally, elapsed: .zero, clientCPU: .zero, reportPath: path,
                interruptedBy: stages.interruptedBy)
            summary.stoppedListing = progress.stoppedListing
            summary.overMax = progress.overMax ? options.maxJobs : nil
            summary.failure = stages.failure
            summary.stoppedAtDeadline = stages.stoppedAtDeadline
            summary.latency = statistics.latency
            summary.isPlan = true
            summary.shard = options.shard
            summary.otherShards = progress.otherShards
            return summary
        }
    }

    /// Opens the report: appended to (cut back to its last whole row) for `--resume`, replaced
    /// with `--overwrite`, else created new (an existing file is refused; a default name that is
    /// taken gets a suffix).
    private static func openReport(_ options: SweepOptions, journal: ReportJournal?, provenance: RunProvenance)
        throws(SweepError) -> ReportWriter
    {
        if let resumeFrom = options.resumeFrom, let journal {
            return try ReportWriter(
                path: resumeFrom, mode: .append(validLength: journal.validLength), provenance: provenance)
        }
        if let path = options.reportPath {
            return try ReportWriter(
                path: path, mode: options.overwrite && path != "-" ? .overwrite : .create, provenance: provenance)
        }
        return try ReportWriter(
            path: "", mode: .createUnique(stem: options.defaultReportStem(at: provenance.startedAt)),
            provenance: provenance)
    }

    /// What the progress display shows, read from the run's statistics and limiter, timed from now.
    private static func progressSnapshot(
        _ verb: String, _ statistics: RunStatistics, total: Int, _ calls: Calls<ContinuousClock>,
        _ options: SweepOptions, serverJobs: StartedBatchJobs? = nil
    ) -> @Sendable () -> ProgressSnapshot {
        let clock = ContinuousClock()
        let started = clock.now
        let target = options.rate
        return {
            ProgressSnapshot(
                verb: verb, tally: statistics.tally, total: total, elapsed: started.duration(to: clock.now),
                retries: statistics.retries, rate: calls.limiter.rate, targetRate: target,
                serverJob: serverJobs?.running)
        }
    }

    /// The bulk resolver, when this run resolves its IDs through visibility.
    static func resolver(_ options: SweepOptions, service: any WorkflowService) -> VisibilityResolver? {
        // A cancel acts on what each lookup says: a fresh batch per lookup
        // (`SweepOptions.freshBatchSize`), the next looked up once half of one is handed out. A
        // terminate only pins its call to the run looked up (a closed one is refused by the
        // server), a dry run and a plan act on none of it, and the server engine only pins its
        // batch to the runs looked up (what it hands the batcher is described afterwards, which reports a run
        // that closed or was replaced since): the largest chunk per lookup, the next looked up as
        // soon as one is handed out. One lookup in flight: the dev server's visibility served four
        // at once slower than one after the other (4,800 against 5,800 IDs/s, the extra ones
        // refused with "System Persistence Max QPS Reached" and retried); the pace stays 10
        // lookups a second.
        guard options.resolvesThroughVisibility else { return nil }
        let actsOnLookups = options.actsOnWhatItLists
        let chunkSize = actsOnLookups ? options.freshBatchSize() : VisibilityResolver.largestChunk
        var resolver = VisibilityResolver(service: service, retry: options.retry.reading, chunkSize: chunkSize)
        resolver.requiresFirstRunID = options.action == nil
        resolver.looksAheadAtOnce = !actsOnLookups
        return resolver
    }

    /// The calls a run's stages share, and the options they act with.
    private static func callsAndOptions(_ options: SweepOptions, _ preflight: Preflight, earlier: EarlierRun? = nil)
        -> (Calls<ContinuousClock>, ExecutorOptions)
    {
        var stageOptions = ExecutorOptions(
            action: options.action,
            reason: options.effectiveReason(at: preflight.startDate),
            rate: options.rate,
            concurrency: options.concurrency,
            maxAttempts: options.maxAttempts,
            retryWindow: options.retryWindow,
            dryRun: options.dryRun,
            chain: options.chain
        )
        stageOptions.earlierRun = earlier.map { earlier in
            var earlier = earlier
            earlier.requesters.insert(Requester(identity: options.connection.identity, reason: stageOptions.reason))
            return earlier
        }
        return (Calls(service: preflight.client, options: stageOptions, clock: ContinuousClock()), stageOptions)
    }

    /// Escalation, then waiting, for the runs acted on.
    /// - Returns: how many were still open when `--wait` gave up.
    private static func followUp(
        _ stage: FollowUpStage<ContinuousClock>,
        _ acted: [ActedRun<ContinuousClock.Instant>],
        _ options: FollowUpOptions,
        _ reporter: some ReportSink,
        _ console: some Console
    ) async throws(SweepError) -> Int {
        var pending = acted
        if let grace = options.escalateAfter {
            let cancelled = pending.filter { $0.outcome == .cancelRequested }
            console.note(
                "escalation: terminating what is still open \(grace.inSeconds) s after its cancel request (\(cancelled.count) runs)"
            )
            pending = try await stage.escalate(
                cancelled, after: grace, pollInterval: options.pollInterval, reportingTo: reporter)
        }
        guard let timeout = options.waitTimeout, !pending.isEmpty else { return 0 }
        console.note("waiting up to \(timeout.inSeconds) s for \(pending.count) runs to close")
        return try await stage.waitForClose(
            pending, timeout: timeout, pollInterval: options.pollInterval, reportingTo: reporter)
    }
}

/// How a run's stages ended: the signal or deadline that stopped one, or the failure that ended
/// one early.
private struct Stages {
    /// `--max-duration`'s end, for every stage.
    let deadline: ContinuousClock.Instant?
    var interruptedBy: Int32?
    var stoppedAtDeadline = false
    var failure: SweepError?

    init(deadline: ContinuousClock.Instant?) {
        self.deadline = deadline
    }

    /// Neither a signal, the deadline nor a failure has stopped a stage.
    var ranToTheEnd: Bool { interruptedBy == nil && !stoppedAtDeadline && failure == nil }

    /// Runs one stage, stoppable by a signal; records how it ended.
    /// - Returns: its value, or `nil` when it was stopped or failed.
    @discardableResult
    mutating func run<Value: Sendable>(
        _ console: some Console, _ work: @escaping @Sendable () async throws(SweepError) -> Value
    ) async -> Value? {
        let ended = await GracefulStop.run(console: console, deadline: deadline, work)
        switch ended.stoppedBy {
        case .signal(let number): interruptedBy = number
        case .deadline: stoppedAtDeadline = true
        case nil: break
        }
        switch ended.outcome {
        case .success(let value)?:
            return value
        case .failure(let error)?:
            failure = error
            return nil
        case nil:
            return nil
        }
    }
}
