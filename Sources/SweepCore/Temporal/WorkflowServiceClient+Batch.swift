import Foundation
package import SweepGRPC
import SwiftProtobuf
import TemporalAPI

extension WorkflowServiceClient: BatchService {
    package func startBatch(_ batch: BatchRequest) async throws(RPCError) {
        var request = Temporal_Api_Workflowservice_V1_StartBatchOperationRequest()
        request.namespace = options.namespace
        request.jobID = batch.jobID
        request.reason = batch.reason
        // `executions`, which every server since batch operations began reads (its successor,
        // `target_executions`, only the newest do).
        request.executions = batch.executions.map { .init($0) }
        request.maxOperationsPerSecond = Float(batch.operationsPerSecond)
        switch batch.action {
        case .terminate:
            var operation = Temporal_Api_Batch_V1_BatchOperationTermination()
            operation.identity = options.identity
            request.terminationOperation = operation
        case .cancel:
            var operation = Temporal_Api_Batch_V1_BatchOperationCancellation()
            operation.identity = options.identity
            request.cancellationOperation = operation
        }
        let _: Temporal_Api_Workflowservice_V1_StartBatchOperationResponse = try await call(.startBatch, request)
    }

    package func stopBatch(jobID: String, reason: String) async throws(RPCError) {
        var request = Temporal_Api_Workflowservice_V1_StopBatchOperationRequest()
        request.namespace = options.namespace
        request.jobID = jobID
        request.reason = reason
        request.identity = options.identity
        let _: Temporal_Api_Workflowservice_V1_StopBatchOperationResponse = try await call(.stopBatch, request)
    }

    package func describeBatch(jobID: String) async throws(RPCError) -> BatchJob {
        var request = Temporal_Api_Workflowservice_V1_DescribeBatchOperationRequest()
        request.namespace = options.namespace
        request.jobID = jobID
        let response: Temporal_Api_Workflowservice_V1_DescribeBatchOperationResponse = try await call(
            .describeBatch, request)
        return BatchJob(
            jobID: response.jobID, operation: BatchJob.operation(response.operationType),
            state: BatchJob.State(response.state),
            startTime: response.hasStartTime ? response.startTime.date : nil,
            closeTime: response.hasCloseTime ? response.closeTime.date : nil,
            total: response.totalOperationCount, complete: response.completeOperationCount,
            failure: response.failureOperationCount, identity: response.identity, reason: response.reason)
    }

    package func listBatches(pageSize: Int, pageToken: [UInt8]) async throws(RPCError)
        -> (jobs: [BatchJob], next: [UInt8])
    {
        var request = Temporal_Api_Workflowservice_V1_ListBatchOperationsRequest()
        request.namespace = options.namespace
        request.pageSize = Int32(clamping: pageSize)
        request.nextPageToken = .init(pageToken)
        let response: Temporal_Api_Workflowservice_V1_ListBatchOperationsResponse = try await call(
            .listBatches, request)
        let jobs = response.operationInfo.map { info in
            BatchJob(
                jobID: info.jobID, operation: BatchJob.operation(info.operationType), state: BatchJob.State(info.state),
                startTime: info.hasStartTime ? info.startTime.date : nil,
                closeTime: info.hasCloseTime ? info.closeTime.date : nil)
        }
        return (jobs, Array(response.nextPageToken))
    }
}

extension BatchJob {
    /// The operation's name as sweep's commands say it.
    static func operation(_ type: Temporal_Api_Enums_V1_BatchOperationType) -> String {
        switch type {
        case .terminate, .terminateWorkflow: "terminate"
        case .cancel, .cancelWorkflow: "cancel"
        case .signal, .signalWorkflow: "signal"
        case .delete, .deleteWorkflow: "delete"
        case .reset, .resetWorkflow: "reset"
        case .unspecified: ""
        default: "other (\(type.rawValue))"
        }
    }
}

extension BatchJob.State {
    init(_ state: Temporal_Api_Enums_V1_BatchOperationState) {
        self =
            switch state {
            case .running: .running
            case .completed: .completed
            case .failed: .failed
            default: .unspecified
            }
    }
}
