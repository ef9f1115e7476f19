import ArgumentParser
import SweepCore

struct Cancel: SweepCommand {
    static let action = Action.cancel
    static let configuration = CommandConfiguration(
        abstract: "Request cancellation: graceful, the workflow's own code cleans up and decides how to finish.",
        discussion: """
            Each target is described first: a closed run is reported already_closed and not touched;
            an open run is pinned and sent RequestCancelWorkflowExecution. A workflow with no worker
            stays Running after a cancel request; use terminate to force it.

            Examples:
              sweep cancel --query "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" --dry-run
              sweep cancel --input stuck.csv --reason "INC-1234: cleanup" --report cancel.csv
              sweep cancel --workflow-id order-42 --yes
            """
    )

    @OptionGroup(title: "Workflows") var source: SourceOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Connection") var connection: ConnectionFlags
}
