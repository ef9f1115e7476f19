import Foundation

/// The end of a run: counts per outcome, time, rate, client CPU, and the exit code they imply.
package struct Summary: Sendable, Hashable {
    package var action: Action
    package var dryRun: Bool
    package var tally: Tally
    package var elapsed: Duration
    /// User + system CPU time of this process for the run.
    package var clientCPU: Duration
    package var reportPath: String
    /// The signal that stopped the run early (SIGINT 2, SIGTERM 15), if any.
    package var interruptedBy: Int32?
    /// Runs still open when `--wait` gave up.
    package var stillOpen = 0

    package init(
        action: Action,
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

    /// 128 + the signal when stopped by one (130 for SIGINT, 143 for SIGTERM); else 1 when some
    /// job `failed`; else 4 when some run was still open after `--wait`; else 0.
    package var exitCode: Int32 {
        if let interruptedBy { return 128 + interruptedBy }
        if tally[.failed] > 0 { return 1 }
        return stillOpen > 0 ? 4 : 0
    }

    /// The human summary printed on standard error.
    package var text: String {
        var lines = ["\(dryRun ? "dry run: " : "")\(action.rawValue) summary: \(tally.total) report rows"]
        if let interruptedBy {
            lines[0] += " (stopped by signal \(interruptedBy); resume with --resume \(reportPath))"
        }
        for outcome in Outcome.allCases where tally[outcome] > 0 {
            lines.append("  \(outcome.rawValue.padding(toLength: 21, withPad: " ", startingAt: 0)) \(tally[outcome])")
        }
        if stillOpen > 0 {
            lines.append("  still open after --wait: \(stillOpen)")
        }
        let perCall = tally.callsSent > 0 ? clientCPU.inMilliseconds * 1000 / Double(tally.callsSent) : 0
        lines.append(
            String(
                format: "  elapsed %.2f s, %d calls, %.1f calls/s, client CPU %.0f ms (%.0f us per call)",
                elapsed.inSeconds, tally.callsSent, callsPerSecond, clientCPU.inMilliseconds, perCall
            )
        )
        lines.append("  report: \(reportPath)")
        return lines.joined(separator: "\n")
    }
}
