import ArgumentParser
import SweepCore

struct Terminate: SweepCommand {
    static let configuration = CommandConfiguration(
        abstract: "Terminate: forced, the run ends at once and no workflow code runs.",
        discussion: """
            Examples:
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running' \\
                AND StartTime < '2026-11-29T02:00:00Z'" --dry-run
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --older-than 2h --yes --max 5000 --reason "INC-1234"
              cut -d, -f1 stuck.csv | sweep terminate --input - --rps 20
            """
    )

    @OptionGroup(title: "Workflows") var source: SourceOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Safety") var safety: SafetyOptions
    @OptionGroup(title: "Output and scheduling") var unattended: UnattendedOptions
    @OptionGroup(title: "Scale") var scale: ScaleOptions
    @OptionGroup(title: "Connection") var connection: ConnectionFlags

    var action: Action { .terminate }
    var jobSource: JobSource { source.source }
    var escalateAfter: DurationArgument? { nil }
}
