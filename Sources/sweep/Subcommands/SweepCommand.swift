import ArgumentParser
import SweepCore

/// What `cancel` and `terminate` share: the flags, and handing the run to SweepCore.
protocol SweepCommand: AsyncParsableCommand {
    static var action: Action { get }
    var source: SourceOptions { get }
    var run: RunOptions { get }
    var connection: ConnectionFlags { get }
}

extension SweepCommand {
    var sweepOptions: SweepOptions {
        SweepOptions(
            action: Self.action,
            source: source.source,
            connection: connection.options(identity: run.identity),
            reason: run.reason,
            dryRun: run.dryRun,
            assumeYes: run.yes,
            rate: run.rps,
            concurrency: run.concurrency,
            maxAttempts: run.maxAttempts,
            reportPath: run.report,
            resumeFrom: run.resume,
            retryWindow: .seconds(run.retryFor)
        )
    }

    func run() async throws {
        let console = StandardConsole()
        do {
            let summary = try await SweepCore.Sweep.run(sweepOptions, console: console)
            if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
        } catch let error as SweepError {
            console.say("error: \(error.message)")
            throw ExitCode(error.code.exitCode)
        }
    }
}
