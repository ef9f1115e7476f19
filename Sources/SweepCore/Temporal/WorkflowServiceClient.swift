import Foundation
package import SweepGRPC
import SwiftProtobuf
package import TemporalAPI

/// Temporal's WorkflowService over one gRPC channel (the C core): the real ``WorkflowService``,
/// plus the calls the demo and tests use to seed and inspect workflows.
package struct WorkflowServiceClient: WorkflowService {
    package let channel: GRPCChannel
    package let options: ConnectionOptions

    package init(channel: GRPCChannel, options: ConnectionOptions) {
        self.channel = channel
        self.options = options
    }

    private var metadata: [(key: String, value: String)] {
        // Temporal routes on this header in multi-namespace deployments (and Temporal Cloud).
        [(key: "temporal-namespace", value: options.namespace)]
    }

    private func call<Response: SwiftProtobuf.Message>(
        _ method: Method,
        _ request: some SwiftProtobuf.Message
    ) async throws(RPCError) -> Response {
        try await channel.unary(method: method.path, request: request, metadata: metadata, timeout: options.callTimeout)
    }

    /// The server's version; the cheapest way to check that the server answers.
    package func systemInfo() async throws(RPCError) -> String {
        let response: Temporal_Api_Workflowservice_V1_GetSystemInfoResponse =
            try await call(.getSystemInfo, Temporal_Api_Workflowservice_V1_GetSystemInfoRequest())
        return response.serverVersion
    }

    package func count(query: String) async throws(RPCError) -> Int {
        var request = Temporal_Api_Workflowservice_V1_CountWorkflowExecutionsRequest()
        request.namespace = options.namespace
        request.query = query
        let response: Temporal_Api_Workflowservice_V1_CountWorkflowExecutionsResponse = try await call(.count, request)
        return Int(response.count)
    }

    package func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        var request = Temporal_Api_Workflowservice_V1_ListWorkflowExecutionsRequest()
        request.namespace = options.namespace
        request.query = query
        request.pageSize = Int32(clamping: pageSize)
        request.nextPageToken = Data(pageToken)
        let response: Temporal_Api_Workflowservice_V1_ListWorkflowExecutionsResponse = try await call(.list, request)
        return ExecutionPage(
            executions: response.executions.map(ExecutionDescription.init(info:)),
            nextPageToken: Array(response.nextPageToken)
        )
    }

    package func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        var request = Temporal_Api_Workflowservice_V1_DescribeWorkflowExecutionRequest()
        request.namespace = options.namespace
        request.execution = .init(target)
        let response: Temporal_Api_Workflowservice_V1_DescribeWorkflowExecutionResponse = try await call(
            .describe, request)
        var description = ExecutionDescription(info: response.workflowExecutionInfo)
        description.cancelRequested = response.workflowExtendedInfo.cancelRequested
        return description
    }

    package func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)
    {
        var request = Temporal_Api_Workflowservice_V1_RequestCancelWorkflowExecutionRequest()
        request.namespace = options.namespace
        request.workflowExecution = .init(target)
        request.firstExecutionRunID = chain ?? ""
        request.identity = options.identity
        request.requestID = requestID
        request.reason = reason
        let _: Temporal_Api_Workflowservice_V1_RequestCancelWorkflowExecutionResponse = try await call(
            .requestCancel, request)
    }

    package func terminate(_ target: WorkflowTarget, chain: String? = nil, reason: String) async throws(RPCError) {
        var request = Temporal_Api_Workflowservice_V1_TerminateWorkflowExecutionRequest()
        request.namespace = options.namespace
        request.workflowExecution = .init(target)
        request.firstExecutionRunID = chain ?? ""
        request.identity = options.identity
        request.reason = reason
        let _: Temporal_Api_Workflowservice_V1_TerminateWorkflowExecutionResponse = try await call(.terminate, request)
    }

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

extension WorkflowServiceClient {
    /// The WorkflowService methods sweep calls, with the paths the server routes on.
    enum Method: String {
        case getSystemInfo = "GetSystemInfo"
        case count = "CountWorkflowExecutions"
        case list = "ListWorkflowExecutions"
        case describe = "DescribeWorkflowExecution"
        case requestCancel = "RequestCancelWorkflowExecution"
        case terminate = "TerminateWorkflowExecution"
        case start = "StartWorkflowExecution"
        case history = "GetWorkflowExecutionHistory"

        var path: String { "/temporal.api.workflowservice.v1.WorkflowService/\(rawValue)" }
    }
}

/// Runs `body` with a client on a fresh channel to `options.address`, closing it afterwards.
/// - Throws: whatever `body` throws; ``SweepError`` `.unreachable` if the channel cannot be made.
package func withWorkflowServiceClient<Result>(
    _ options: ConnectionOptions,
    _ body: (WorkflowServiceClient) async throws -> Result
) async throws -> Result {
    let channel: GRPCChannel
    do {
        channel = try GRPCChannel(target: options.address, userAgent: "temporal-sweep/\(SweepVersion.current)")
    } catch {
        throw SweepError(.unreachable, "cannot open a channel to \(options.address): \(error.message)", cause: error)
    }
    defer { channel.close() }
    return try await body(WorkflowServiceClient(channel: channel, options: options))
}

extension Temporal_Api_Common_V1_WorkflowExecution {
    init(_ target: WorkflowTarget) {
        self.init()
        workflowID = target.workflowID
        runID = target.runID ?? ""
    }
}

extension ExecutionDescription {
    init(info: Temporal_Api_Workflow_V1_WorkflowExecutionInfo) {
        self.init(
            workflowID: info.execution.workflowID,
            runID: info.execution.runID,
            workflowType: info.type.name,
            status: WorkflowStatus(info.status),
            startTime: info.hasStartTime ? info.startTime.date : nil,
            closeTime: info.hasCloseTime ? info.closeTime.date : nil,
            firstRunID: info.firstRunID
        )
    }
}

extension WorkflowStatus {
    init(_ status: Temporal_Api_Enums_V1_WorkflowExecutionStatus) {
        self =
            switch status {
            case .running: .running
            case .completed: .completed
            case .failed: .failed
            case .canceled: .canceled
            case .terminated: .terminated
            case .continuedAsNew: .continuedAsNew
            case .timedOut: .timedOut
            case .unspecified, .UNRECOGNIZED: .unspecified
            }
    }
}
