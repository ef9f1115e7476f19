import ArgumentParser

/// Guards, chains and follow-ups: what makes a sweep safe to run during an incident.
struct SafetyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Refuse (exit 2, nothing sent) when the job set has more than N workflows.", valueName: "n"))
    var max: Int?

    @Flag(
        help:
            "Act on each workflow's continue-as-new chain (its current run, via first_execution_run_id) instead of the listed or given run."
    )
    var chain = false

    @Option(
        help: ArgumentHelp(
            "After acting, poll until each run has closed or this long has passed (e.g. 90s, 5m); the report gains final_status. Exit 4 if some are still open.",
            valueName: "duration"))
    var wait: DurationArgument?

    func validate() throws {
        if let max { try Limits.max.check(max, flag: "--max") }
        if let wait { try Limits.duration.check(wait.seconds, flag: "--wait") }
    }
}

/// `--escalate-after`, for the commands that cancel.
struct EscalationOptions: ParsableArguments {
    @Option(
        name: .customLong("escalate-after"),
        help: ArgumentHelp(
            "Request cancellation, then terminate what is still open this long after its request (e.g. 5m). The report shows both steps.",
            valueName: "duration"))
    var escalateAfter: DurationArgument?

    func validate() throws {
        if let escalateAfter { try Limits.duration.check(escalateAfter.seconds, flag: "--escalate-after") }
    }
}
