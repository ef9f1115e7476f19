import ArgumentParser
import SweepCore

struct Apply: SweepCommand {
    static let configuration = CommandConfiguration(
        abstract: "Act on exactly the runs of a plan (written by sweep plan, perhaps edited).",
        discussion: """
            Every line pins a run. A run that closed after the plan was made is reported \
            already_closed; one that was replaced (continue-as-new, reset, a new run with \
            the same ID) is reported run_changed and the new run is not touched, unless \
            --chain.

            Examples:
              sweep plan -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --out plan.csv
              $EDITOR plan.csv
              sweep apply plan.csv --action terminate --reason "INC-1234"
            """
    )

    @Argument(help: ArgumentHelp("The plan CSV.", valueName: "plan"))
    var plan: String

    @Option(help: ArgumentHelp("What to do to each run.", valueName: "cancel|terminate"))
    var action: Action

    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Safety") var safety: SafetyOptions
    @OptionGroup(title: "Escalation") var escalation: EscalationOptions
    @OptionGroup(title: "Output and scheduling") var unattended: UnattendedOptions
    @OptionGroup(title: "Scale") var scale: ScaleOptions
    @OptionGroup(title: "Connection") var connection: ConnectionFlags

    var jobSource: JobSource { .planFile(path: plan) }
    var escalateAfter: DurationArgument? { escalation.escalateAfter }

    func validate() throws {
        try validateOutputs()
        if escalation.escalateAfter != nil, action != .cancel {
            throw ValidationError("--escalate-after goes with --action cancel (a terminate needs no escalation).")
        }
    }
}

extension Action: ExpressibleByArgument {}
