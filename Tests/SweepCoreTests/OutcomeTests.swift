import SweepCore
import SweepGRPC
import Testing

@Suite("gRPC status to outcome")
struct OutcomeTests {
    @Test(
        "transient codes are retried",
        arguments: [RPCError.Code.unavailable, .deadlineExceeded, .resourceExhausted, .aborted])
    func transient(code: RPCError.Code) {
        #expect(Outcome.verdict(for: RPCError(code: code, message: "x")) == .retry)
    }

    @Test(
        "server answers map to outcomes",
        arguments: [
            (RPCError(code: .notFound, message: "workflow execution already completed"), Outcome.alreadyClosed),
            (RPCError(code: .notFound, message: "workflow not found for ID: nope"), Outcome.notFound),
            (RPCError(code: .invalidArgument, message: "Invalid RunId."), Outcome.failed),
            (RPCError(code: .failedPrecondition, message: "x"), Outcome.failed),
            (RPCError(code: .permissionDenied, message: "x"), Outcome.failed),
            (RPCError(code: .unauthenticated, message: "x"), Outcome.failed),
            (RPCError(code: .internal, message: "x"), Outcome.failed),
        ])
    func permanent(error: RPCError, outcome: Outcome) {
        #expect(Outcome.verdict(for: error) == .final(outcome))
    }

    @Test("only failed counts against the exit code")
    func failures() {
        #expect(Outcome.allCases.filter(\.isFailure) == [.failed])
    }

    @Test("code names are the canonical upper-case ones")
    func codeNames() {
        #expect(RPCError.Code.resourceExhausted.description == "RESOURCE_EXHAUSTED")
        #expect(RPCError.Code.ok.description == "OK")
        #expect(RPCError.Code(rawValue: 99).description == "CODE_99")
    }
}
