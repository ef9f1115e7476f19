package import Foundation

/// The end of a run: counts per outcome, time, rate, client CPU, and the exit code they imply.
package struct Summary: Sendable, Hashable {
    /// `nil` for `sweep plan`.
    package var action: Action?
    package var dryRun: Bool
    package var tally: Tally
    package var elapsed: Duration
    /// User + system CPU time of this process for the run.
    package var clientCPU: Duration
    package var reportPath: String
    /// The signal that stopped the run early (SIGINT 2, SIGTERM 15), if any.
    package var interruptedBy: Int32?
    /// `--max-duration` ran out and stopped the run, as SIGTERM would have.
    package var stoppedAtDeadline = false
    /// Per-workflow latency, `nil` when no call was sent.
    package var latency: LatencySummary?
    /// Attempts retried (past each call's first).
    package var retries = 0
    /// When the server throttled the run: the rate the run settled at, and the one asked for.
    package var throttled: Throttling?

    /// The server throttled the run: the rate it settled at, and the one asked for.
    package struct Throttling: Sendable, Hashable {
        package var settledAt: Double
        package var asked: Double
    }
    /// When the run started (after the preflight's guards).
    package var startedAt: Date?
    /// Runs still open when `--wait` gave up.
    package var stillOpen = 0
    /// A graceful stop ended the listing before its last page: workflows the query matches past
    /// the ones reported were never listed.
    package var stoppedListing = false
    /// `--max`, when the job set grew past it after it was counted (the rest was not sent).
    package var overMax: Int?
    /// What ended the run early without a signal (the report could not be written, the listing
    /// failed), after the rows already written.
    package var failure: SweepError?
    /// A `sweep plan` run: nothing to resume, the plan is the output.
    package var isPlan = false
    /// Workflows an earlier run of the resumed report left alone on purpose (`run_changed`), which
    /// this run does not revisit: still part of the outcome.
    package var leftAloneEarlier = 0
    /// `--shard`: which share this run took, and how many workflows it read that fell to others.
    package var shard: Shard?
    package var otherShards = 0
    /// `--engine server`: the batch jobs started, in order.
    package var batchJobs: [String] = []

    package init(
        action: Action?,
        dryRun: Bool,
        tally: Tally,
        elapsed: Duration,
        clientCPU: Duration,
        reportPath: String,
        interruptedBy: Int32? = nil
    ) {
        self.action = action
        self.dryRun = dryRun
        self.tally = tally
        self.elapsed = elapsed
        self.clientCPU = clientCPU
        self.reportPath = reportPath
        self.interruptedBy = interruptedBy
    }

    /// RPCs per second over the whole run.
    package var callsPerSecond: Double {
        elapsed > .zero ? Double(tally.callsSent) / elapsed.inSeconds : 0
    }

    /// Stopped at the end of `--max-duration`: 124, as timeout(1) exits.
    package static let deadlineExitCode: Int32 = 124

    /// The exit code (README, "Exit codes"), most serious first: 128 + the signal when stopped by
    /// one (130 for SIGINT, 143 for SIGTERM); 124 when `--max-duration` stopped it; when the run ended early, 6 if the report could not
    /// be written, else 1 (the listing failed); 1 when some workflow `failed`; 4 when
    /// some run was still open after `--wait`; 5 when some workflow was left alone on purpose
    /// (`run_changed`: a new run replaced the one planned; or the job set grew past `--max`);
    /// else 0: every workflow reached its outcome.
    package var exitCode: Int32 {
        if let interruptedBy { return 128 + interruptedBy }
        if stoppedAtDeadline { return Self.deadlineExitCode }
        if let failure { return failure.code == .output ? 6 : 1 }
        if tally[.failed] > 0 { return 1 }
        if stillOpen > 0 { return 4 }
        if tally[.runChanged] + leftAloneEarlier > 0 || overMax != nil { return 5 }
        return 0
    }

    /// The human summary printed on standard error.
    package var text: String {
        var lines = [
            "\(dryRun && !isPlan ? "dry run: " : "")\(action?.rawValue ?? "plan") summary: \(tally.workflows) workflows\(isPlan ? "" : ", \(tally.rows) report rows")"
        ]
        if let interruptedBy {
            lines.append("  stopped by signal \(interruptedBy): \(nextStep)")
        } else if stoppedAtDeadline {
            lines.append("  stopped: --max-duration is over: \(nextStep)")
        }
        if let failure {
            lines.append("  stopped early: \(failure.message)")
            // The stop's line above already said how to finish.
            if !isPlan, interruptedBy == nil, !stoppedAtDeadline { lines.append("  \(nextStep)") }
        }
        if let shard {
            lines.append(
                "  shard \(shard): \(otherShards) \(otherShards == 1 ? "entry" : "entries") read (IDs, or listed runs) fell to the other \(shard.count - 1) shards and were left to them"
            )
        }
        if !batchJobs.isEmpty {
            lines.append(
                "  server batch jobs: \(batchJobs.joined(separator: ", ")) (sweep batch describe JOB)")
        }
        if stoppedListing {
            lines.append(
                "  the listing was stopped: workflows the query matches beyond those in the report were not listed")
        }
        if let overMax {
            lines.append(
                "  the job set grew past --max \(overMax) after it was counted: the workflows past it were not listed or sent; run again to see them"
            )
        }
        for outcome in Outcome.allCases where tally[outcome] > 0 {
            lines.append("  \(outcome.rawValue.padding(toLength: 21, withPad: " ", startingAt: 0)) \(tally[outcome])")
        }
        if stillOpen > 0 {
            lines.append("  still open after --wait: \(stillOpen)")
        }
        if tally[.runChanged] + leftAloneEarlier > 0 {
            lines.append(
                "  left alone on purpose (run_changed): \(tally[.runChanged] + leftAloneEarlier)\(leftAloneEarlier > 0 ? " (\(leftAloneEarlier) in earlier runs of this report)" : ""); see their rows for the new run"
            )
        }
        let perCall = tally.callsSent > 0 ? clientCPU.inMilliseconds * 1000 / Double(tally.callsSent) : 0
        lines.append(
            String(
                format: "  elapsed %.2f s, %d calls, %.1f calls/s, client CPU %.0f ms (%.0f us per call)",
                elapsed.inSeconds, tally.callsSent, callsPerSecond, clientCPU.inMilliseconds, perCall
            )
        )
        if let throttled {
            lines.append(
                String(
                    format: "  throttled by the server (RESOURCE_EXHAUSTED): settled at %.3g/s of the %.3g/s asked",
                    throttled.settledAt, throttled.asked))
        }
        if let latency {
            lines.append(
                String(
                    format: "  latency per workflow: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                    latency.p50, latency.p90, latency.p99, latency.max) + (retries > 0 ? ", \(retries) retries" : ""))
        }
        lines.append("  \(isPlan ? "plan" : "report"): \(reportPath)")
        return lines.joined(separator: "\n")
    }

    /// How to finish what a stopped run left.
    private var nextStep: String {
        if isPlan { return "the plan is incomplete; run sweep plan again" }
        if reportPath == "-" {
            return
                "the report went to standard output; to resume, save it to a file and use --resume FILE with the same flags"
        }
        return
            "finish with the same command and --resume \(reportPath) (it skips what is settled\(stoppedListing ? " and lists the query again" : ""))"
    }
}
