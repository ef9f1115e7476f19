/// The workflow a job points at: a workflow ID and, when pinned, one run of it.
package struct WorkflowTarget: Hashable, Sendable, CustomStringConvertible {
    package var workflowID: String
    /// `nil` targets the workflow's current run.
    package var runID: String?

    package init(workflowID: String, runID: String? = nil) {
        self.workflowID = workflowID
        self.runID = runID?.isEmpty == true ? nil : runID
    }

    package var description: String {
        runID.map { "\(workflowID) (run \($0))" } ?? workflowID
    }
}
