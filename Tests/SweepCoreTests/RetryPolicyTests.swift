import SweepCore
import SweepGRPC
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 3, retryWindow: .seconds(60))
    let deadline = RPCError(code: .deadlineExceeded, message: "context deadline exceeded")
    let outage = RPCError(code: .unavailable, message: "connection refused")

    @Test("a deadline is retried while attempts remain; past them, only a read waits it out for the window")
    func slowReads() {
        #expect(policy.pause(after: deadline, tries: 2, failingFor: .seconds(20), jitter: 0) != nil)
        // An action that outlasted its deadline may have landed: no more tries past the attempts.
        #expect(policy.pause(after: deadline, tries: 3, failingFor: .seconds(30), jitter: 0) == nil)
        #expect(policy.reading.pause(after: deadline, tries: 3, failingFor: .seconds(30), jitter: 0) != nil)
        #expect(policy.reading.pause(after: deadline, tries: 9, failingFor: .seconds(59), jitter: 0) != nil)
        #expect(policy.reading.pause(after: deadline, tries: 9, failingFor: .seconds(60), jitter: 0) == nil)
    }

    @Test("an outage is waited out for the window by reads and actions alike; a refusal is never retried")
    func outages() {
        for policy in [policy, policy.reading] {
            #expect(policy.pause(after: outage, tries: 7, failingFor: .seconds(59), jitter: 0) != nil)
            #expect(policy.pause(after: outage, tries: 7, failingFor: .seconds(61), jitter: 0) == nil)
            let refused = RPCError(code: .invalidArgument, message: "bad query")
            #expect(policy.pause(after: refused, tries: 1, failingFor: .zero, jitter: 0) == nil)
        }
    }
}
