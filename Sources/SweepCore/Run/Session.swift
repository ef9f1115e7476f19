import Foundation

/// What wraps a run for unattended use: the `--lock` taken before anything else, the error
/// printed, the `--metrics-file` written and the `--output json` document printed afterwards,
/// whatever the run's end. The command line hands its run here and exits with the code returned.
package struct Session: Sendable {
    /// `cancel`, `terminate` or `plan`: named in the JSON document and the metrics.
    package var command: String
    package var dryRun = false
    /// `--lock PATH`.
    package var lockPath: String?
    /// `--metrics-file PATH`.
    package var metricsPath: String?
    /// `--output json`.
    package var json = false

    package init(command: String) {
        self.command = command
    }

    /// Runs `body` under the lock and reports its end.
    /// - Returns: the exit code: the summary's, a refusal's (2, 3, 6), or 75 when another run
    ///   holds the lock (then nothing else happens: no metrics, which belong to the holder).
    package func run(
        console: some Console,
        _ body: () async throws(SweepError) -> Summary
    ) async -> Int32 {
        let lock: RunLock?
        do {
            lock = try lockPath.map { try RunLock(path: $0) }
        } catch let held as RunLock.Held {
            console.say("error: \(held.message)")
            if json {
                var document = SummaryDocument(
                    command: command, dryRun: dryRun, refusal: SweepError(.usage, held.message))
                document.exitCode = RunLock.heldExitCode
                print(document.json)
            }
            return RunLock.heldExitCode
        } catch {
            return report(refusal: error as? SweepError ?? SweepError(.usage, "\(error)"), console: console)
        }
        defer { withExtendedLifetime(lock) {} }

        let summary: Summary
        do {
            summary = try await body()
        } catch {
            return report(refusal: error, console: console)
        }
        writeMetrics(
            MetricsFile.Run(
                command: command, tally: summary.tally, elapsed: summary.elapsed, exitCode: summary.exitCode,
                finishedAt: Date()), console: console)
        if json { print(SummaryDocument(summary).json) }
        return summary.exitCode
    }

    /// A run refused before anything was sent (or failed to start).
    private func report(refusal: SweepError, console: some Console) -> Int32 {
        console.say("error: \(refusal.message)")
        let code = refusal.code.exitCode
        writeMetrics(
            MetricsFile.Run(command: command, tally: Tally(), elapsed: .zero, exitCode: code, finishedAt: Date()),
            console: console)
        if json { print(SummaryDocument(command: command, dryRun: dryRun, refusal: refusal).json) }
        return code
    }

    private func writeMetrics(_ run: MetricsFile.Run, console: some Console) {
        guard let metricsPath else { return }
        // A dry run (say, the cron line tried by hand) is not a sweep: it must not look like one
        // to monitoring (its would_* counts, a fresh last-success time silencing the alert).
        guard !dryRun else {
            console.note("--metrics-file \(metricsPath) is not written for a dry run")
            return
        }
        do {
            try MetricsFile.write(run, to: metricsPath)
        } catch {
            // The report is the record; a monitoring file that cannot be written is a warning (its
            // staleness alert fires), not a reason to misstate how the sweep itself ended.
            console.say("warning: \(error.message)")
        }
    }
}
