import Foundation
package import SweepGRPC
package import SwiftProtobuf
package import TemporalAPI

/// Temporal's WorkflowService over one gRPC channel (the C core): the real ``WorkflowService``.
/// The calls only the demo and tests make (start a workflow, read its history) live with them, in
/// SweepTestSupport, over ``call(_:_:)``.
package struct WorkflowServiceClient: WorkflowService {
    package let channel: GRPCChannel
    package let options: ConnectionOptions

    /// Made once: the same headers go with every call.
    private let metadata: [(key: String, value: String)]
    /// Each method registered on the channel with those headers, so that a call copies neither.
    private let prepared: [Method: GRPCChannel.PreparedMethod]

    package init(channel: GRPCChannel, options: ConnectionOptions) {
        self.channel = channel
        self.options = options
        let metadata = options.metadata
        self.metadata = metadata
        self.prepared = Dictionary(
            uniqueKeysWithValues: Method.allCases.compactMap { method in
                channel.prepare(method: method.path, metadata: metadata).map { (method, $0) }
            })
    }

    /// One unary call of `method` with the namespace header and the call timeout.
    package func call<Response: SwiftProtobuf.Message>(
        _ method: Method,
        _ request: some SwiftProtobuf.Message
    ) async throws(RPCError) -> Response {
        if let prepared = prepared[method] {
            return try await channel.unary(prepared, request: request, timeout: options.callTimeout)
        }
        return try await channel.unary(
            method: method.path, request: request, metadata: metadata, timeout: options.callTimeout)
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

    package func recordedRequest(_ action: Action, on target: WorkflowTarget) async throws(RPCError)
        -> RecordedRequest?
    {
        var token = Data()
        for _ in 0..<RecordedRequest.pagesRead {
            var request = Temporal_Api_Workflowservice_V1_GetWorkflowExecutionHistoryRequest()
            request.namespace = options.namespace
            request.execution = .init(target)
            request.maximumPageSize = 1000
            request.nextPageToken = token
            let response: Temporal_Api_Workflowservice_V1_GetWorkflowExecutionHistoryResponse = try await call(
                .history, request)
            for event in response.history.events {
                let time = event.hasEventTime ? event.eventTime.date : nil
                switch (action, event.attributes) {
                case (.terminate, .workflowExecutionTerminatedEventAttributes(let terminated)?):
                    return RecordedRequest(identity: terminated.identity, reason: terminated.reason, time: time)
                case (.cancel, .workflowExecutionCancelRequestedEventAttributes(let requested)?):
                    return RecordedRequest(identity: requested.identity, reason: requested.cause, time: time)
                default:
                    continue
                }
            }
            token = response.nextPageToken
            if token.isEmpty { return nil }
        }
        return nil
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
}

extension WorkflowServiceClient {
    /// The WorkflowService methods sweep calls, with the paths the server routes on.
    package enum Method: String, CaseIterable {
        case getSystemInfo = "GetSystemInfo"
        case count = "CountWorkflowExecutions"
        case list = "ListWorkflowExecutions"
        case describe = "DescribeWorkflowExecution"
        case requestCancel = "RequestCancelWorkflowExecution"
        case terminate = "TerminateWorkflowExecution"
        case startBatch = "StartBatchOperation"
        case stopBatch = "StopBatchOperation"
        case describeBatch = "DescribeBatchOperation"
        case listBatches = "ListBatchOperations"
        /// For the demo and tests only (SweepTestSupport).
        case start = "StartWorkflowExecution"
        /// Read for ``recordedRequest(_:on:)``, and by the tests (SweepTestSupport).
        case history = "GetWorkflowExecutionHistory"

        package var path: String { "/temporal.api.workflowservice.v1.WorkflowService/\(rawValue)" }
    }
}

/// Runs `body` with a client on a fresh channel to `options.address`, closing it afterwards.
/// - Throws: whatever `body` throws; ``SweepError`` `.unreachable` if the channel cannot be made.
package func withWorkflowServiceClient<Result>(
    _ options: ConnectionOptions,
    _ body: (WorkflowServiceClient) async throws -> Result
) async throws -> Result {
    let channel: GRPCChannel
    // Read and check the TLS files before anything is dialled (exit 2 naming the file).
    var tls = try options.tls.map { settings throws(SweepError) in try settings.load() }
    do {
        channel = try GRPCChannel(
            target: options.address, userAgent: "temporal-sweep/\(SweepVersion.current)", tls: tls)
        tls?.wipe()
    } catch {
        tls?.wipe()
        throw SweepError(.unreachable, "cannot open a channel to \(options.address): \(error.message)", cause: error)
    }
    defer { channel.close() }
    return try await body(WorkflowServiceClient(channel: channel, options: options))
}

extension Temporal_Api_Common_V1_WorkflowExecution {
    /// The execution `target` names (the current run when it pins none).
    package init(_ target: WorkflowTarget) {
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
