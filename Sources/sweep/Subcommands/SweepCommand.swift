import ArgumentParser
import SweepCore

/// What `cancel`, `terminate` and `apply` share: the flags, and handing the run to SweepCore.
protocol SweepCommand: AsyncParsableCommand {
    var action: Action { get }
    var jobSource: JobSource { get }
    var escalateAfter: DurationArgument? { get }
    var run: RunOptions { get }
    var safety: SafetyOptions { get }
    var connection: ConnectionFlags { get }
}

extension SweepCommand {
    /// The options this command line asks for, with the connection resolved.
    /// - Throws: ``SweepError`` `.usage` when the connection settings do not resolve.
    func sweepOptions() throws(SweepError) -> SweepOptions {
        SweepOptions(
            action: action,
            source: jobSource,
            connection: try connection.options(identity: run.identity),
            reason: run.reason,
            dryRun: run.dryRun,
            assumeYes: run.yes,
            rate: run.rps,
            concurrency: run.concurrency,
            maxAttempts: run.maxAttempts,
            reportPath: run.report,
            resumeFrom: run.resume,
            retryWindow: .seconds(run.retryFor),
            maxJobs: safety.max,
            chain: safety.chain,
            followUp: FollowUpOptions(escalateAfter: escalateAfter?.duration, waitTimeout: safety.wait?.duration),
            overwrite: run.overwrite
        )
    }

    func run() async throws {
        let console = StandardConsole()
        do {
            let summary = try await Runner.run(try sweepOptions(), console: console)
            if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
        } catch let error as SweepError {
            console.say("error: \(error.message)")
            throw ExitCode(error.code.exitCode)
        }
    }
}
