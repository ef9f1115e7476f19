import Foundation
import Glibc
import SweepGRPC
import SweepTestSupport
import Synchronization
import TemporalAPI
import Testing

@Suite("gRPC channel")
struct GRPCChannelTests {
    @Test(
        "a call to a port nobody listens on ends UNAVAILABLE or DEADLINE_EXCEEDED, within its deadline",
        .timeLimit(.minutes(5)))
    func unreachable() async throws {
        let channel = try GRPCChannel(target: "127.0.0.1:1", userAgent: "test")
        defer { channel.close() }
        let result = await channel.unary(method: "/x.Y/Z", request: [], timeout: .seconds(2))
        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect([RPCError.Code.unavailable, .deadlineExceeded].contains(error.code))
        // It does not hang: it came back (this test's time limit is the ceiling, not a speed).
        #expect(channel.callsStarted == 1)
    }

    @Test("the core never resends a call by itself: its retries are off, and no service config can turn them on")
    func noRetriesBehindSweep() {
        #expect(GRPCChannel.integerArgument("grpc.enable_retries") == 0)
        #expect(GRPCChannel.integerArgument("grpc.service_config_disable_resolution") == 1)
        #expect(GRPCChannel.integerArgument("grpc.no_such_argument") == nil)
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

@Suite("gRPC channel against a real server")
struct GRPCChannelServerTests {
    /// The dev server scripts/test starts (a missing server is a failure, never a skip).
    private func address() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["SWEEP_TEST_TEMPORAL_ADDRESS"],
            "SWEEP_TEST_TEMPORAL_ADDRESS is not set: run the tests with scripts/test")
    }

    @Test("a call to the real server succeeds and decodes its response")
    func success() async throws {
        let channel = try GRPCChannel(target: try address(), userAgent: "test")
        defer { channel.close() }
        let response: Temporal_Api_Workflowservice_V1_GetSystemInfoResponse = try await channel.unary(
            method: "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",
            request: Temporal_Api_Workflowservice_V1_GetSystemInfoRequest(), timeout: .seconds(10))
        #expect(!response.serverVersion.isEmpty)
        #expect(channel.callsStarted == 1)
    }

    @Test(
        "close with calls in flight ends each exactly once, before its deadline, then frees the channel",
        .timeLimit(.minutes(10)))
    func closeWithCallsInFlight() async throws {
        // A listening socket that never speaks HTTP/2: calls to it hang until their deadline.
        let silent = try SilentServer()
        let channel = try GRPCChannel(target: silent.address, userAgent: "test")
        let reported = Counter()
        let closedAfter = Counter()
        let codes = Codes()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let result = await channel.unary(method: "/x.Y/Z", request: [1], timeout: .seconds(300))
                    switch result {
                    case .success: Issue.record("a call to a silent server succeeded")
                    case .failure(let error): codes.record(error.code)
                    }
                    reported.add()
                }
            }
            group.addTask {
                while channel.callsStarted < 20 { try? await Task.sleep(for: .milliseconds(5)) }
                try? await Task.sleep(for: .milliseconds(200))
                channel.close()
                closedAfter.add(1)
            }
        }
        #expect(reported.value == 20)
        #expect(closedAfter.value == 1)
        #expect(codes.all.count == 20)
        // Closing the channel ended the calls: none waited out its deadline (the tests' shared
        // ceiling, 300 s), so none ended DEADLINE_EXCEEDED.
        #expect(!codes.all.contains(.deadlineExceeded))
        let late = await channel.unary(method: "/x.Y/Z", request: [], timeout: .seconds(1))
        guard case .failure(let error) = late else {
            Issue.record("a call after close succeeded")
            return
        }
        #expect(error.code == .unavailable)
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let state = Mutex(0)
    var value: Int { state.withLock { $0 } }
    func add(_ amount: Int = 1) { state.withLock { $0 += amount } }
}

/// Status codes reported by concurrent calls.
final class Codes: Sendable {
    private let state = Mutex<[RPCError.Code]>([])
    var all: [RPCError.Code] { state.withLock { $0 } }
    func record(_ code: RPCError.Code) { state.withLock { $0.append(code) } }
}
