import Foundation
package import SweepCore
package import SweepGRPC
package import TemporalAPI

/// The calls only the demo, the benchmarks and the tests make: start workflows, read histories.
/// They are not part of the product's client.
extension WorkflowServiceClient {
    /// Starts a workflow (for seeding the demo and tests), optionally with one JSON argument.
    /// - Returns: the new run's ID.
    package func startWorkflow(
        id: String,
        type: String,
        taskQueue: String,
        requestID: String = UUID().uuidString,
        jsonArgument: String? = nil
    ) async throws(RPCError) -> String {
        var request = Temporal_Api_Workflowservice_V1_StartWorkflowExecutionRequest()
        request.namespace = options.namespace
        request.workflowID = id
        request.workflowType.name = type
        request.taskQueue.name = taskQueue
        request.identity = options.identity
        request.requestID = requestID
        if let jsonArgument {
            var payload = Temporal_Api_Common_V1_Payload()
            payload.metadata["encoding"] = Data("json/plain".utf8)
            payload.data = Data(jsonArgument.utf8)
            request.input.payloads = [payload]
        }
        let response: Temporal_Api_Workflowservice_V1_StartWorkflowExecutionResponse = try await call(.start, request)
        return response.runID
    }

    /// Starts a workflow as a test's set-up, tried again while the server is busy (one request
    /// ID, so that a start that landed before its answer was lost answers the same run).
    /// - Returns: the new run's ID.
    package func startPatiently(id: String, type: String, taskQueue: String = "sweep-test") async throws -> String {
        let requestID = UUID().uuidString
        return try await Patience.retrying { _ async throws(RPCError) in
            try await startWorkflow(id: id, type: type, taskQueue: taskQueue, requestID: requestID)
        }
    }

    /// Terminates `target` as a test's set-up, tried again while the server is busy. An ID given
    /// without a run is pinned to its current run first (a retry never reaches a newer run); a
    /// retry that finds that run closed (NOT_FOUND) finds an earlier try's work.
    package func terminatePatiently(_ target: WorkflowTarget, reason: String) async throws {
        var pinned = target
        if pinned.runID == nil {
            pinned.runID = try await Patience.retrying { _ async throws(RPCError) in try await describe(target).runID }
        }
        try await Patience.retrying { [pinned] tries async throws(RPCError) in
            do throws(RPCError) {
                try await terminate(pinned, reason: reason)
            } catch  where error.code == .notFound && tries > 1 {
                return
            }
        }
    }

    /// The whole history of one run, following page tokens.
    package func history(_ target: WorkflowTarget) async throws(RPCError) -> [Temporal_Api_History_V1_HistoryEvent] {
        var events: [Temporal_Api_History_V1_HistoryEvent] = []
        var token = Data()
        repeat {
            var request = Temporal_Api_Workflowservice_V1_GetWorkflowExecutionHistoryRequest()
            request.namespace = options.namespace
            request.execution = .init(target)
            request.maximumPageSize = 1000
            request.nextPageToken = token
            let response: Temporal_Api_Workflowservice_V1_GetWorkflowExecutionHistoryResponse = try await call(
                .history, request)
            events += response.history.events
            token = response.nextPageToken
        } while !token.isEmpty
        return events
    }
}
