package import SweepGRPC

/// The Temporal calls that planning and execution make: the seam between sweep's logic and the
/// wire. ``WorkflowServiceClient`` is the real one; tests may fill it with faults a real server
/// cannot produce.
package protocol WorkflowService: Sendable {
    /// Counts the executions a visibility query matches (the query "" counts all).
    func count(query: String) async throws(RPCError) -> Int

    /// One page of a visibility listing.
    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage

    /// Describes one run (the current one when `target.runID` is nil).
    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription

    /// Asks a run to cancel itself (records WorkflowExecutionCancelRequested).
    /// - Parameter chain: the first run of a continue-as-new chain: act on the chain's current run
    ///   (`target.runID` must then be nil).
    func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)

    /// Ends a run at once (records WorkflowExecutionTerminated).
    /// - Parameter chain: as for ``requestCancel(_:chain:reason:requestID:)``.
    func terminate(_ target: WorkflowTarget, chain: String?, reason: String) async throws(RPCError)

    /// The request for `action` that a run's history records: its terminate (the closing event),
    /// or its cancel request; nil when it has none (or not within ``RecordedRequest/pagesRead``
    /// pages of history).
    func recordedRequest(_ action: Action, on target: WorkflowTarget) async throws(RPCError) -> RecordedRequest?
}

/// One page of a listing and the token for the next (empty when this was the last).
package struct ExecutionPage: Sendable {
    package var executions: [ExecutionDescription]
    package var nextPageToken: [UInt8]

    package init(executions: [ExecutionDescription], nextPageToken: [UInt8]) {
        self.executions = executions
        self.nextPageToken = nextPageToken
    }
}
