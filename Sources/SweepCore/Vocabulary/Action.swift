/// What a sweep does to each workflow.
package enum Action: String, Sendable, Hashable, CaseIterable {
    /// RequestCancelWorkflowExecution: graceful; the workflow's own code decides how to finish.
    case cancel
    /// TerminateWorkflowExecution: forced; the run ends at once and no workflow code runs.
    case terminate
}
