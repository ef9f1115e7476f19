import Foundation
import SweepGRPC

/// How a test waits for something the real server, the Python worker or a sweep process does:
/// on the event itself, polled, under one ceiling shared by every test.
///
/// The ceiling is generous for a loaded machine (2 cores shared by the debug and
/// AddressSanitizer builds, the dev server and the worker): it bounds a test that would otherwise
/// hang, it never says how fast something should be. A test asserts what happened; how fast it
/// happens is measured in scripts/bench.
package enum Patience {
    /// The longest any test waits for one event.
    package static let ceiling: Duration = .seconds(300)

    /// Polls `observe` until it says the event happened, for at most ``ceiling``.
    /// - Parameters:
    ///   - event: what is awaited, for the failure message ("the lock file names a PID").
    ///   - every: how often to look.
    ///   - observe: looks once; returns the value when the event happened, or nil and what it saw
    ///     instead (kept for the failure message).
    /// - Returns: the value `observe` returned.
    /// - Throws: ``TestEnvironment/Missing`` naming the event and the last thing seen, once the
    ///   ceiling has passed.
    @discardableResult
    package static func waitFor<T>(
        _ event: String, every interval: Duration = .milliseconds(100),
        _ observe: () async throws -> (value: T?, seen: String)
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: ceiling)
        var seen = "nothing yet"
        while true {
            let (value, last) = try await observe()
            if let value { return value }
            seen = last
            guard clock.now < deadline else { break }
            try await Task.sleep(for: interval)
        }
        throw TestEnvironment.Missing(
            description: "waited \(ceiling) (the tests' shared ceiling) for \(event); last seen: \(seen)")
    }

    /// Polls `condition` until it holds, for at most ``ceiling``.
    package static func waitUntil(
        _ event: String, every interval: Duration = .milliseconds(100),
        _ condition: () async throws -> (done: Bool, seen: String)
    ) async throws {
        try await waitFor(event, every: interval) { () async throws -> (value: Bool?, seen: String) in
            let (done, seen) = try await condition()
            return (done ? true : nil, seen)
        }
    }
}

extension Patience {
    /// The answers of a busy or restarting server, after which a test's own set-up call is tried
    /// again: throttled, not reachable, or a deadline (the client's, or the server's own
    /// "context deadline exceeded" when its store is slow).
    static let transient: Set<RPCError.Code> = [.resourceExhausted, .unavailable, .deadlineExceeded]

    /// Runs a test's own set-up call (a start, a terminate) until the server answers it, for at
    /// most ``ceiling``: a test asserts what sweep does, never how fast the server answers the
    /// test. `body` must be safe to repeat (a start with one request ID; see
    /// ``WorkflowServiceClient/startPatiently(id:type:taskQueue:)``).
    /// - Parameter tries: the number of the try (1 first), so that a retry can tell that an
    ///   earlier try may have landed.
    /// - Throws: the call's own error once it is not transient, or once the ceiling has passed.
    static func retrying<T>(_ body: (_ tries: Int) async throws(RPCError) -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: ceiling)
        var delay = Duration.milliseconds(50)
        var tries = 0
        while true {
            tries += 1
            do {
                return try await body(tries)
            } catch {
                guard transient.contains(error.code), clock.now < deadline else { throw error }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
