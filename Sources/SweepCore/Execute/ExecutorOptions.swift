package import Foundation

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

/// The sweep whose report a resumed run continues: a workflow it has no row for may have been
/// acted on just before a crash lost the row, so it is judged as after an ambiguous failure.
package struct EarlierRun: Sendable, Hashable {
    /// When that sweep began (the first run that wrote the report).
    package var began: Date
    /// What its requests carry in history (each run that wrote the report, and this one): a
    /// run's history names one of them when that sweep closed it.
    package var requesters: Set<Requester>
    /// Whether the runs of this job set were picked by sweep from a listing (a query), and not
    /// named by the operator (a CSV's run_id, `--run-id`, a plan): only a run sweep picks is
    /// held to having started before `began`.
    package var runsFromListing: Bool

    package init(began: Date, requesters: Set<Requester>, runsFromListing: Bool) {
        self.began = began
        self.requesters = requesters
        self.runsFromListing = runsFromListing
    }
}

/// Who sent a cancel or terminate, as history records it: the identity and the reason.
package struct Requester: Sendable, Hashable {
    package var identity: String
    package var reason: String

    package init(identity: String, reason: String) {
        self.identity = identity
        self.reason = reason
    }
}
