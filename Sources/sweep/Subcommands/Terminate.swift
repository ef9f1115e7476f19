import ArgumentParser
import SweepCore

struct Terminate: SweepCommand {
    static let action = Action.terminate
    static let configuration = CommandConfiguration(
        abstract: "Terminate: forced, the run ends at once and no workflow code runs.",
        discussion: """
            Examples:
              sweep terminate --query "WorkflowType='OrderSaga' AND ExecutionStatus='Running' AND StartTime < '2026-11-29T02:00:00Z'" --dry-run
              sweep terminate --query "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" --yes --reason "INC-1234"
              cut -d, -f1 stuck.csv | sweep terminate --input - --rps 20
            """
    )

    @OptionGroup(title: "Workflows") var source: SourceOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Connection") var connection: ConnectionFlags
}
