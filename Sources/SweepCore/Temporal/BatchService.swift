package import Foundation
package import SweepGRPC

/// Temporal's batch operations: the seam the server engine and `sweep batch` call through.
/// ``WorkflowServiceClient`` is the real one.
package protocol BatchService: Sendable {
    /// Starts a batch job acting on exactly `executions` (each pinned to its run when one is given).
    /// The server refuses a second running job per namespace by default (RESOURCE_EXHAUSTED "Max
    /// concurrent batch operations is reached").
    func startBatch(_ batch: BatchRequest) async throws(RPCError)

    /// Stops a running batch job; what it already did stays done.
    func stopBatch(jobID: String, reason: String) async throws(RPCError)

    func describeBatch(jobID: String) async throws(RPCError) -> BatchJob

    /// One page of the namespace's batch jobs, newest first, and the token for the next.
    func listBatches(pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> (jobs: [BatchJob], next: [UInt8])
}

/// What a batch job is asked to do.
package struct BatchRequest: Sendable, Hashable {
    package var jobID: String
    package var action: Action
    package var reason: String
    package var executions: [WorkflowTarget]
    /// Asked of the server; servers since 1.29 apply `worker.batcherRPS` instead (50/s by default).
    package var operationsPerSecond: Double

    package init(
        jobID: String, action: Action, reason: String, executions: [WorkflowTarget], operationsPerSecond: Double
    ) {
        self.jobID = jobID
        self.action = action
        self.reason = reason
        self.executions = executions
        self.operationsPerSecond = operationsPerSecond
    }
}

/// What the server says of one batch job (DescribeBatchOperation, or a row of ListBatchOperations,
/// which carries only the ID, state and times).
package struct BatchJob: Sendable, Hashable, Codable {
    package enum State: String, Sendable, Hashable, Codable {
        case running
        case completed
        case failed
        case unspecified
    }

    package var jobID: String
    /// `terminate`, `cancel`, or the server's name for another kind (`signal`, `delete`...).
    package var operation: String
    package var state: State
    package var startTime: Date?
    package var closeTime: Date?
    /// Counts as the batcher keeps them: NOT_FOUND and "already completed" count as complete.
    package var total: Int64
    package var complete: Int64
    package var failure: Int64
    package var identity: String
    package var reason: String

    package init(
        jobID: String, operation: String = "", state: State, startTime: Date? = nil, closeTime: Date? = nil,
        total: Int64 = 0, complete: Int64 = 0, failure: Int64 = 0, identity: String = "", reason: String = ""
    ) {
        self.jobID = jobID
        self.operation = operation
        self.state = state
        self.startTime = startTime
        self.closeTime = closeTime
        self.total = total
        self.complete = complete
        self.failure = failure
        self.identity = identity
        self.reason = reason
    }

    package var isRunning: Bool { state == .running }

    /// Completed or failed; a state this client does not know counts as ended once the job has a
    /// close time.
    package var hasEnded: Bool {
        switch state {
        case .completed, .failed: true
        case .running: false
        case .unspecified: closeTime != nil
        }
    }
}
