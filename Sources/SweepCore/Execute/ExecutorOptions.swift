/// How the client-side engine acts: what, how fast, how persistently.
package struct ExecutorOptions: Sendable, Hashable {
    /// `nil` for `sweep plan`: runs are resolved (a dry run), nothing is acted on.
    package var action: Action?
    /// Recorded in history with each cancel or terminate.
    package var reason: String
    /// Workflows acted on per second, across all tasks: each terminate, and each cancel with the
    /// Describe that precedes it, takes one slot; retries take slots too.
    package var rate: Double
    /// Jobs in flight at once.
    package var concurrency: Int
    /// Attempts per call, the first included.
    package var maxAttempts: Int
    package var backoff: Backoff
    /// Throttling (RESOURCE_EXHAUSTED) and an unreachable server (UNAVAILABLE) are retried past
    /// `maxAttempts` for this long after a job's first failure, so that a server restart or a
    /// burst of throttling does not turn into `failed` rows.
    package var retryWindow: Duration
    /// The retry policy every call follows.
    package var retry: RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, backoff: backoff, retryWindow: retryWindow)
    }
    /// Report `would_*` outcomes and send nothing.
    package var dryRun: Bool
    /// Act on the current run of each workflow's continue-as-new chain (`first_execution_run_id`)
    /// instead of the run that was listed or given.
    package var chain: Bool
    /// How long a listing's (or a bulk lookup's) word on a run stands in for a Describe before a
    /// cancel.
    package var listingFreshness: Duration = .seconds(2)
    /// For `--resume`: the sweep that wrote the report, against which a workflow the report has no
    /// row for is judged (``Job/unrecorded``).
    package var earlierRun: EarlierRun?

    package init(
        action: Action?,
        reason: String,
        rate: Double = Defaults.rate,
        concurrency: Int = Defaults.concurrency,
        maxAttempts: Int = Defaults.maxAttempts,
        backoff: Backoff = Backoff(),
        retryWindow: Duration = Defaults.retryWindow,
        dryRun: Bool = false,
        chain: Bool = false
    ) {
        self.action = action
        self.reason = reason
        self.rate = rate
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.retryWindow = retryWindow
        self.dryRun = dryRun
        self.chain = chain
    }
}
