/// One workflow to act on, as the planner resolved it.
package struct Job: Sendable, Hashable {
    package var target: WorkflowTarget
    /// The workflow type, when the source knows it (a listing does, a CSV does not).
    package var workflowType: String?
    /// Where it came from: the CSV line, for messages.
    package var line: Int?

    package init(target: WorkflowTarget, workflowType: String? = nil, line: Int? = nil) {
        self.target = target
        self.workflowType = workflowType
        self.line = line
    }
}
