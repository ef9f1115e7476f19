import ArgumentParser
import Foundation
import Logging
import SweepCore

/// How a run reports and behaves when nobody watches: output format, progress and logging, the
/// overlap lock, the time slot and the metrics file.
struct UnattendedOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: "text: the summary for people on standard error; json: also one JSON document on standard output.")
    var output: OutputFormat = .text

    @Flag(help: "No progress and no informational lines on standard error; errors and warnings only.")
    var quiet = false

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical. Off a terminal, progress is an info line every 10 s.",
            valueName: "level"))
    var logLevel: LogLevel?

    @Option(
        help: ArgumentHelp(
            "Hold this lock file for the run (flock); if another run holds it, exit 75 and name its PID.",
            valueName: "path"))
    var lock: String?

    @Option(
        name: .customLong("max-duration"),
        help: ArgumentHelp(
            "Stop as on SIGTERM when this long has passed (e.g. 50m): no new workflows, calls in flight finish, exit 124.",
            valueName: "duration"))
    var maxDuration: DurationArgument?

    @Option(
        name: .customLong("metrics-file"),
        help: ArgumentHelp(
            "Write the run's result in Prometheus text format here (for node_exporter's textfile collector).",
            valueName: "path"))
    var metricsFile: String?

    func validate() throws {
        if let maxDuration { try Limits.maxDuration.check(maxDuration.seconds, flag: "--max-duration") }
    }

    /// `--lock` and `--metrics-file` are files of their own: taking the lock writes a PID into its
    /// file, and the metrics file is replaced; neither may be an input, the report or a setting.
    /// - Parameter settings: the files the connection settings read, asked for only when this
    ///   run writes a file of its own.
    func refuseSharedPaths(
        _ others: [(flag: String, path: String?)], settings: () -> [(flag: String, path: String?)]
    ) throws {
        guard lock != nil || metricsFile != nil else { return }
        let others = others + settings()
        func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        for (flag, own) in [("--lock", lock), ("--metrics-file", metricsFile)] {
            guard let own else { continue }
            for (other, path) in others + [("--lock", lock), ("--metrics-file", metricsFile)]
            where other != flag {
                if let path, path != "-", canonical(path) == canonical(own) {
                    throw ValidationError(
                        "\(flag) and \(other) name the same file (\(own)); give \(flag) a path of its own.")
                }
            }
        }
    }

    /// Standard error through swift-log at `--log-level` (default info; warning with `--quiet`).
    func bootstrapLogging() {
        let level = logLevel?.level ?? (quiet ? .warning : .info)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// The session that wraps the run: lock, metrics, JSON document.
    func session(command: String, dryRun: Bool) -> Session {
        var session = Session(command: command)
        session.dryRun = dryRun
        session.lockPath = lock
        session.metricsPath = metricsFile
        session.json = output == .json
        return session
    }

    /// Sets what these flags decide in a run's options: progress on a terminal, log lines off one
    /// or nothing with `--quiet`; `--max-duration`'s end, counted from now; no dry-run table on
    /// standard output with `--output json`.
    func apply(to options: inout SweepOptions) {
        options.progress = ProgressDisplay.mode(quiet: quiet)
        options.deadline = maxDuration.map { ContinuousClock.now + $0.duration }
        options.dryRunTable = output == .text
    }

    /// Runs `body` as a command does: logging set up, under the session (lock, metrics, JSON), and
    /// exiting with the code it ends with.
    func run(
        command: String, dryRun: Bool, _ body: (StandardConsole) async throws(SweepError) -> Summary
    ) async throws {
        bootstrapLogging()
        let console = StandardConsole(quiet: quiet)
        let code = await session(command: command, dryRun: dryRun).run(console: console) {
            () async throws(SweepError) in try await body(console)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// `--log-level`: swift-log's levels.
enum LogLevel: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    var level: Logger.Level { Logger.Level(rawValue: rawValue) ?? .info }
}
