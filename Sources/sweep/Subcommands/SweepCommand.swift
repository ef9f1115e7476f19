import ArgumentParser
import SweepCore

/// What `cancel`, `terminate` and `apply` share: the flags, and handing the run to SweepCore.
protocol SweepCommand: AsyncParsableCommand {
    var action: Action { get }
    var jobSource: JobSource { get }
    var escalateAfter: DurationArgument? { get }
    var run: RunOptions { get }
    var safety: SafetyOptions { get }
    var unattended: UnattendedOptions { get }
    var scale: ScaleOptions { get }
    var connection: ConnectionFlags { get }
}

extension SweepCommand {
    /// The options this command line asks for, with the connection resolved.
    /// - Throws: ``SweepError`` `.usage` when the connection settings do not resolve.
    func sweepOptions() throws(SweepError) -> SweepOptions {
        var options = SweepOptions(
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
        options.resolution = run.resolve.resolution
        unattended.apply(to: &options)
        try scale.apply(to: &options)
        return options
    }

    func validate() throws {
        try validateOutputs()
    }

    /// `--output json` and `--report -` would both write standard output; `--lock` and
    /// `--metrics-file` may not be another file of the run.
    func validateOutputs() throws {
        let input: String? =
            switch jobSource {
            case .csvFile(let path), .planFile(let path): path
            default: nil
            }
        try unattended.refuseSharedPaths(
            [
                ("--input", input), ("--report", run.report), ("--resume", run.resume),
                ("--config-file", connection.configFile),
            ], settings: connection.filesRead)
        if unattended.output == .json, run.report == "-" {
            throw ValidationError("--output json and --report - both write standard output; give --report a file.")
        }
    }

    func run() async throws {
        try await unattended.run(command: action.rawValue, dryRun: run.dryRun) { console throws(SweepError) in
            try await Runner.run(try sweepOptions(), console: console)
        }
    }
}
