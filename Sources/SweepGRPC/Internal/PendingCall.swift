/// The continuation of one started call, passed to the C core as the call's tag (retained once,
/// released by the completion callback).
final class PendingCall: Sendable {
    let continuation: CheckedContinuation<Result<[UInt8], RPCError>, Never>

    init(continuation: CheckedContinuation<Result<[UInt8], RPCError>, Never>) {
        self.continuation = continuation
    }
}
