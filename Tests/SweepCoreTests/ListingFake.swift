import SweepCore
import SweepGRPC

/// A fake of the listing side of the WorkflowService only (pages, lookups): it counts nothing, and
/// any Describe is unexpected; cancel and terminate do nothing.
protocol ListingFake: WorkflowService {}

extension ListingFake {
    func count(query: String) async throws(RPCError) -> Int { 0 }

    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        throw RPCError(code: .unimplemented, message: "not in this fake")
    }

    func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)
    {}

    func terminate(_ target: WorkflowTarget, chain: String?, reason: String) async throws(RPCError) {}

    func recordedRequest(_ action: Action, on target: WorkflowTarget) async throws(RPCError) -> RecordedRequest? {
        throw RPCError(code: .unimplemented, message: "not in this fake")
    }
}
