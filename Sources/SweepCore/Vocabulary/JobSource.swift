/// Where a run's job set comes from: exactly one per run.
package enum JobSource: Sendable, Hashable {
    /// A visibility list query, e.g. `WorkflowType='OrderSaga' AND ExecutionStatus='Running'`.
    case query(String)
    /// A CSV file of workflow IDs (a `workflow_id` header and optional `run_id`, or one headerless column).
    case csvFile(path: String)
    /// Workflow IDs given on the command line, optionally all pinned to one run ID.
    case workflowIDs([String], runID: String?)
    /// A plan written by `sweep plan` (and perhaps edited): exactly these runs.
    case planFile(path: String)

    /// A short description for messages: "query", "ids.csv", "3 workflow IDs".
    package var label: String {
        switch self {
        case .query: "query"
        case .csvFile(let path), .planFile(let path): path
        case .workflowIDs(let ids, _): ids.count == 1 ? "1 workflow ID" : "\(ids.count) workflow IDs"
        }
    }
}
