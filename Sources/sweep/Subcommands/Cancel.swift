import ArgumentParser
import SweepCore

struct Cancel: SweepCommand {
    static let configuration = CommandConfiguration(
        abstract: "Request cancellation: graceful, the workflow's own code cleans up and decides how to finish.",
        discussion: """
            Each target is described first: a closed run is reported already_closed and \
            not touched; an open run is pinned and sent RequestCancelWorkflowExecution. A \
            workflow with no worker stays Running after a cancel request; \
            --escalate-after terminates what is still open.

            Examples:
              sweep cancel -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --dry-run
              sweep cancel --input stuck.csv --reason "INC-1234: cleanup" \\
                --escalate-after 5m
              sweep cancel -w order-42 --wait 2m
              temporal workflow list -o jsonl \\
                -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                | sweep cancel --input -
            """
    )

    @OptionGroup(title: "Workflows") var source: SourceOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Safety") var safety: SafetyOptions
    @OptionGroup(title: "Escalation") var escalation: EscalationOptions
    @OptionGroup(title: "Output and scheduling") var unattended: UnattendedOptions
    @OptionGroup(title: "Scale") var scale: ScaleOptions
    @OptionGroup(title: "Connection") var connection: ConnectionFlags

    var action: Action { .cancel }
    var jobSource: JobSource { source.source }
    var escalateAfter: DurationArgument? { escalation.escalateAfter }
}
