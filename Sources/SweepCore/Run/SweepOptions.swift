package import Foundation

/// Everything one `sweep cancel|terminate` run needs, as the command line gave it.
package struct SweepOptions: Sendable {
    /// `nil` for `sweep plan`, which resolves runs and acts on nothing.
    package var action: Action?
    package var source: JobSource
    package var connection: ConnectionOptions
    /// `nil`: a default that says sweep did it, and when.
    package var reason: String?
    package var dryRun: Bool
    /// Skip the confirmation a query asks for.
    package var assumeYes: Bool
    package var rate: Double
    package var concurrency: Int
    package var maxAttempts: Int
    /// `nil`: `sweep-report-<action>-<UTC time>.csv` in the current directory; "-": standard output.
    package var reportPath: String?
    /// Resume from this report: skip the workflows it already settled, append to it.
    package var resumeFrom: String?
    /// How long throttling and an unreachable server are retried past `maxAttempts`.
    package var retryWindow: Duration
    /// Refuse (nothing sent) a job set larger than this.
    package var maxJobs: Int?
    /// Act on each workflow's continue-as-new chain rather than the listed or given run.
    package var chain: Bool
    package var followUp: FollowUpOptions
    /// Replace an existing report (or plan) instead of refusing it.
    package var overwrite: Bool
    /// How the runs of IDs from a CSV or the command line are found for a cancel, a dry run or a
    /// plan: in bulk through visibility (default), or one Describe each.
    package var resolution: Resolution = .visibility
    /// How the runs of given IDs are found.
    package enum Resolution: String, Sendable, CaseIterable {
        case visibility
        case describe
    }

    /// Whether this run resolves its IDs through visibility: IDs (not a query, whose listing says
    /// it all), for every action (a terminate is pinned to the open run found, so that its row
    /// names the run it ended), and not on a chain (which follows first_execution_run_id).
    var resolvesThroughVisibility: Bool {
        guard resolution == .visibility, !chain else { return false }
        if case .query = source { return false }
        return true
    }

    /// Whether this run acts on what a listing page or a bulk lookup says of each run: a cancel by
    /// sweep itself, which trusts that word for two seconds only. A terminate only pins its call
    /// to the run named (the server refuses it once that run has closed); a dry run and a plan act
    /// on none of it, and the server engine only pins its batches to the runs listed, which it
    /// describes afterwards.
    var actsOnWhatItLists: Bool { action == .cancel && !dryRun && engine == .client }

    /// How many runs a listing page or a bulk-lookup chunk holds when a cancel acts on what it
    /// says, which it trusts for two seconds only: at most half a second's work (`share` times
    /// that when shards split each page), each fetched once half of the one before is handed
    /// out, and jobs handed out at most a second before their slot (see `Executor`), keep it
    /// under about 1.75 s old when sent, at two or more List calls a second (at --rps 50, 25).
    /// Below 2/s a job waits longer than that for its slot anyway and is described first: 20
    /// then spare the List calls. A bulk lookup holds `VisibilityResolver.largestChunk` at most.
    func freshBatchSize(share: Int = 1) -> Int {
        guard rate >= 2 else { return 20 }
        return Int(max(1, min(1000, (rate / 2 * Double(share)).rounded(.down))))
    }

    /// Who sends the calls: sweep itself, or Temporal's batch engine.
    package var engine: Engine = .client
    package enum Engine: String, Sendable, CaseIterable {
        /// ``Executor``: sweep's own calls, paced by `--rps`.
        case client
        /// ``ServerBatchEngine``: StartBatchOperation on the runs planned, reconciled per workflow.
        case server
    }
    /// `--batch-size`: workflows per batch job with ``Engine/server``.
    package var serverBatchSize = Defaults.serverBatchSize
    /// `--shard i/n`: only this share of the job set (by a stable hash of the workflow ID).
    package var shard: Shard?

    /// How progress is shown while the run goes.
    package var progress: ProgressDisplay.Mode = .off
    /// `--max-duration`: when the run stops as on SIGTERM, from the start of the process.
    package var deadline: ContinuousClock.Instant?
    /// A dry run prints the runs it would touch on standard output (not with `--output json`,
    /// whose document is all standard output carries).
    package var dryRunTable = true

    package init(
        action: Action?,
        source: JobSource,
        connection: ConnectionOptions = ConnectionOptions(),
        reason: String? = nil,
        dryRun: Bool = false,
        assumeYes: Bool = false,
        rate: Double = Defaults.rate,
        concurrency: Int = Defaults.concurrency,
        maxAttempts: Int = Defaults.maxAttempts,
        reportPath: String? = nil,
        resumeFrom: String? = nil,
        retryWindow: Duration = Defaults.retryWindow,
        maxJobs: Int? = nil,
        chain: Bool = false,
        followUp: FollowUpOptions = FollowUpOptions(),
        overwrite: Bool = false
    ) {
        self.action = action
        self.source = source
        self.connection = connection
        self.reason = reason
        self.dryRun = dryRun
        self.assumeYes = assumeYes
        self.rate = rate
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.reportPath = reportPath
        self.resumeFrom = resumeFrom
        self.retryWindow = retryWindow
        self.maxJobs = maxJobs
        self.chain = chain
        self.followUp = followUp
        self.overwrite = overwrite
    }

    /// The retry policy of every call in the run.
    package var retry: RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, retryWindow: retryWindow)
    }

    /// The action as a verb for messages ("cancel", "terminate", "plan").
    package var verb: String { action?.rawValue ?? "plan" }

    /// Above this many workflows, a query without `--max` asks for the namespace to be typed back.
    package static let largeQueryThreshold = 1000

    /// The reason recorded in history.
    package func effectiveReason(at date: Date) -> String {
        if let reason, !reason.isEmpty { return reason }
        return "\(action == .cancel ? "cancelled" : "terminated") by temporal-sweep at \(ReportFormat.timestamp(date))"
    }

    /// The server engine's batch job IDs: `sweep-<action>-<UTC time>-<8 hex>[-shard-i-of-n]`,
    /// then `-1`, `-2`... per job.
    package func batchJobIDPrefix(at date: Date) -> String {
        let stamp = ReportFormat.timestamp(date).filter { $0.isNumber || $0 == "T" }.prefix(15)
        let random = String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        return "sweep-\(verb)-\(stamp)Z-\(random)" + (shard.map { "-shard-\($0.index)-of-\($0.count)" } ?? "")
    }

    /// The default report's name without its `.csv`: `sweep-report-<action>-<UTC time>` in the
    /// current directory (a second run in the same second gets `-2`).
    package func defaultReportStem(at date: Date) -> String {
        let stamp = date.formatted(
            .iso8601.year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false)
                .timeSeparator(.omitted).dateTimeSeparator(.standard).timeZone(separator: .omitted)
        )
        return "sweep-report-\(verb)-\(stamp)" + (shard.map { "-shard-\($0.index)-of-\($0.count)" } ?? "")
    }
}
