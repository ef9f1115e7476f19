import ArgumentParser

/// How the sweep runs: safety, pace, and where the report goes.
struct RunOptions: ParsableArguments {
    @Option(help: "The reason recorded in each workflow's history (default: says temporal-sweep did it, and when).")
    var reason: String?

    @Option(help: "The identity recorded with each call (default: temporal-sweep/<version> <user>@<host>).")
    var identity: String?

    @Flag(
        name: .customLong("dry-run"),
        help: "Report what would be done (would_cancel / would_terminate) and send nothing.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required for a query when not on a terminal).")
    var yes = false

    @Option(
        help:
            "Workflows acted on per second (a terminate, or a cancel with its Describe), across all workers; halved while the server throttles."
    )
    var rps: Double = 50

    @Option(help: "Workflows in flight at once.")
    var concurrency = 16

    @Option(
        name: .customLong("max-attempts"),
        help: "Attempts per call on transient errors (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED).")
    var maxAttempts = 5

    @Option(
        help: ArgumentHelp(
            "Where to write the CSV report ('-' for standard output; default: sweep-report-<action>-<time>.csv).",
            valueName: "path"))
    var report: String?

    @Option(
        help: ArgumentHelp(
            "Resume an interrupted run from its report: skip the workflows it settled, retry the rest, append to it.",
            valueName: "report"))
    var resume: String?

    @Option(
        name: .customLong("retry-for"),
        help: ArgumentHelp(
            "Keep retrying throttling (RESOURCE_EXHAUSTED) and an unreachable server (UNAVAILABLE) this many seconds past --max-attempts.",
            valueName: "seconds"))
    var retryFor: Double = 60

    func validate() throws {
        guard rps > 0, rps.isFinite else { throw ValidationError("--rps must be a positive number (got \(rps)).") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1 (got \(concurrency)).") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1 (got \(maxAttempts)).") }
        guard retryFor >= 0, retryFor.isFinite else {
            throw ValidationError("--retry-for must be zero or more seconds (got \(retryFor)).")
        }
        if let resume {
            if let report, report != resume {
                throw ValidationError(
                    "--resume appends to the report it resumes; drop --report \(report) or make it --report \(resume).")
            }
            if dryRun {
                throw ValidationError("--resume and --dry-run do not go together: a dry run has nothing to resume.")
            }
            if resume == "-" { throw ValidationError("--resume needs the report's path, not standard output.") }
        }
    }
}
