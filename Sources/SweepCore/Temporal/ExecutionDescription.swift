package import Foundation

/// What Describe or List says about one run.
package struct ExecutionDescription: Hashable, Sendable {
    package var workflowID: String
    package var runID: String
    package var workflowType: String
    package var status: WorkflowStatus
    package var startTime: Date?
    package var closeTime: Date?
    package var firstRunID: String
    package var cancelRequested: Bool

    package init(
        workflowID: String,
        runID: String,
        workflowType: String,
        status: WorkflowStatus,
        startTime: Date? = nil,
        closeTime: Date? = nil,
        firstRunID: String = "",
        cancelRequested: Bool = false
    ) {
        self.workflowID = workflowID
        self.runID = runID
        self.workflowType = workflowType
        self.status = status
        self.startTime = startTime
        self.closeTime = closeTime
        self.firstRunID = firstRunID
        self.cancelRequested = cancelRequested
    }
}
