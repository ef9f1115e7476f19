import SweepGRPC
import Testing

@Suite("gRPC channel")
struct GRPCChannelTests {
    @Test("a call to a port nobody listens on ends UNAVAILABLE or DEADLINE_EXCEEDED, within its deadline")
    func unreachable() async throws {
        let channel = try GRPCChannel(target: "127.0.0.1:1", userAgent: "test")
        defer { channel.close() }
        let clock = ContinuousClock()
        let start = clock.now
        let result = await channel.unary(method: "/x.Y/Z", request: [], timeout: .seconds(2))
        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect([RPCError.Code.unavailable, .deadlineExceeded].contains(error.code))
        #expect(start.duration(to: clock.now) < .seconds(5))
        #expect(channel.callsStarted == 1)
    }

    @Test("a call after close fails cleanly without reaching the C core")
    func afterClose() async throws {
        let channel = try GRPCChannel(target: "127.0.0.1:1", userAgent: "test")
        channel.close()
        channel.close()  // idempotent
        let result = await channel.unary(method: "/x.Y/Z", request: [1, 2, 3], timeout: .seconds(1))
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .unavailable)
        #expect(channel.callsStarted == 0)
    }

    @Test("many concurrent calls each report exactly once")
    func concurrentCalls() async throws {
        let channel = try GRPCChannel(target: "127.0.0.1:1", userAgent: "test")
        defer { channel.close() }
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    if case .failure = await channel.unary(method: "/x.Y/Z", request: [0], timeout: .milliseconds(500))
                    {
                        return true
                    }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 200)
        #expect(channel.callsStarted == 200)
    }
}
