import Histogram
import Synchronization

/// What a run has done so far, kept as rows are recorded: counts per outcome, retries, and the
/// latency of each workflow's calls (an HDR histogram). Read by the progress display while the
/// run goes on and by the summary at its end.
///
/// A ``ReportSink`` in front of the run's real sink: a row counts once the sink has taken it.
final class RunStatistics: ReportSink {
    private let wrapped: any ReportSink
    private let state = Mutex(State())

    private struct State {
        var tally = Tally()
        var retries = 0
        /// Microseconds; auto-resizing, 3 significant digits.
        var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    }

    init(_ wrapped: any ReportSink) {
        self.wrapped = wrapped
    }

    func record(_ result: JobResult) throws(SweepError) {
        try wrapped.record(result)
        state.withLock { state in
            state.tally.add(result)
            state.retries += max(0, result.attempts - 1)
            // A follow-up row (--wait, escalation) times the wait, not a call: not a latency.
            if result.callsSent > 0, !result.isFollowUp {
                let microseconds = max(0, result.latency.inMilliseconds * 1000)
                _ = state.latency.record(UInt64(microseconds.rounded()))
            }
        }
    }

    /// The counts so far.
    var tally: Tally { state.withLock { $0.tally } }

    /// Retried attempts so far (attempts past each call's first).
    var retries: Int { state.withLock { $0.retries } }

    /// Latency percentiles so far, `nil` before the first call.
    var latency: LatencySummary? {
        state.withLock { state in
            guard state.latency.totalCount > 0 else { return nil }
            func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
            return LatencySummary(
                count: Int(state.latency.totalCount),
                p50: milliseconds(state.latency.valueAtPercentile(50)),
                p90: milliseconds(state.latency.valueAtPercentile(90)),
                p99: milliseconds(state.latency.valueAtPercentile(99)),
                max: milliseconds(state.latency.max))
        }
    }
}

/// Per-workflow latency of a run, in milliseconds (the calls of one workflow, retries included).
package struct LatencySummary: Sendable, Hashable, Codable {
    /// Workflows measured (those that sent at least one call).
    package var count: Int
    package var p50: Double
    package var p90: Double
    package var p99: Double
    package var max: Double
}
