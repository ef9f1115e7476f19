import ArgumentParser
import SweepCore

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
            "Workflows acted on per second, across all workers; lowered to what the server accepts while it throttles."
    )
    var rps: Double = Defaults.rate

    @Option(help: ResolutionArgument.help)
    var resolve: ResolutionArgument = .visibility

    @Option(help: "Workflows in flight at once.")
    var concurrency = Defaults.concurrency

    @Option(
        name: .customLong("max-attempts"),
        help: "Attempts per call on transient errors (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED).")
    var maxAttempts = Defaults.maxAttempts

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

    @Flag(
        help: "Replace an existing --report file (by default an existing file is refused, so a report is never lost).")
    var overwrite = false

    @Option(
        name: .customLong("retry-for"),
        help: ArgumentHelp(
            "Keep retrying throttling (RESOURCE_EXHAUSTED), an unreachable server (UNAVAILABLE) and a listing or count past its deadline this many seconds past --max-attempts.",
            valueName: "seconds"))
    var retryFor: Double = Defaults.retryWindowSeconds

    func validate() throws {
        try Limits.rps.check(rps, flag: "--rps")
        try Limits.concurrency.check(concurrency, flag: "--concurrency")
        try Limits.maxAttempts.check(maxAttempts, flag: "--max-attempts")
        try Limits.retryFor.check(retryFor, flag: "--retry-for")
        if overwrite, resume != nil {
            throw ValidationError("--overwrite and --resume do not go together: --resume appends to the report.")
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

/// `--resolve`.
enum ResolutionArgument: String, ExpressibleByArgument, CaseIterable {
    case visibility
    case describe

    var resolution: SweepOptions.Resolution { self == .visibility ? .visibility : .describe }

    static let help = ArgumentHelp(
        "How the runs of IDs from --input or --workflow-id are found: visibility (in bulk, WorkflowId IN (...), then Describe what it does not know; a terminate is pinned to the open run found) or describe (one Describe each for a cancel; a terminate goes unpinned).",
        valueName: "visibility|describe")
}
