import ArgumentParser
import SweepCore

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the exact runs a sweep would act on, for review; sends nothing but reads.",
        discussion: """
            The plan CSV has workflow_id, run_id, workflow_type, status, start_time and \
            first_run_id: run IDs resolved now (a listing gives them; for IDs given without \
            one, Describe gives the current run). Closed, unknown and duplicate IDs are \
            left out and counted on standard error. Review it, diff it, edit it, then: \
            sweep apply PLAN --action cancel|terminate.

            Example:
              sweep plan -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --out plan.csv
            """
    )

    @OptionGroup(title: "Workflows") var source: SourceOptions

    @Option(
        help: ArgumentHelp(
            "Where to write the plan ('-' for standard output: a table on a terminal).", valueName: "path"))
    var out = "-"

    @Option(help: ArgumentHelp("Refuse when the job set has more than N workflows.", valueName: "n"))
    var max: Int?

    @Option(help: "Describe calls per second.")
    var rps: Double = Defaults.planRate

    @Option(help: ResolutionArgument.help)
    var resolve: ResolutionArgument = .visibility

    @Flag(help: "Replace an existing --out file (by default an existing file is refused).")
    var overwrite = false

    @OptionGroup(title: "Output and scheduling") var unattended: UnattendedOptions
    @OptionGroup(title: "Connection") var connection: ConnectionFlags

    func validate() throws {
        try Limits.rps.check(rps, flag: "--rps")
        if let max { try Limits.max.check(max, flag: "--max") }
        try unattended.refuseSharedPaths(
            [("--input", source.input), ("--out", out), ("--config-file", connection.configFile)],
            settings: connection.filesRead)
        if unattended.output == .json, out == "-" {
            throw ValidationError("--output json and --out - both write standard output; give --out a file.")
        }
    }

    /// The options this command line asks for.
    /// - Throws: ``SweepError`` `.usage` when the connection settings do not resolve.
    func sweepOptions() throws(SweepError) -> SweepOptions {
        var options = SweepOptions(
            action: nil, source: source.source, connection: try connection.options(identity: nil),
            dryRun: true, rate: rps, maxJobs: max, overwrite: overwrite
        )
        options.resolution = resolve.resolution
        unattended.apply(to: &options)
        return options
    }

    func run() async throws {
        try await unattended.run(command: "plan", dryRun: true) { console throws(SweepError) in
            try await Runner.plan(try sweepOptions(), to: out, console: console)
        }
    }
}
