/// The one source of a run's defaults: the command line's flags, ``SweepOptions``, the engine's
/// ``ExecutorOptions`` and the ``RetryPolicy`` all read them here.
package enum Defaults {
    /// `--rps`: workflows acted on per second.
    package static let rate: Double = 50
    /// `sweep plan --rps`: Describe calls per second (reads only).
    package static let planRate: Double = 100
    /// `--concurrency`: workflows in flight at once.
    package static let concurrency = 16
    /// `--max-attempts`: attempts per call on transient errors.
    package static let maxAttempts = 5
    /// `--retry-for`, in seconds: how long throttling and outages are retried past the attempts.
    package static let retryWindowSeconds: Double = 60
    /// ``retryWindowSeconds`` as a duration.
    package static var retryWindow: Duration { .seconds(retryWindowSeconds) }
    /// `--batch-size`: workflows per server batch job (`--engine server`).
    package static let serverBatchSize = 5000
}
