import Synchronization

/// A clock that never waits: `sleep` records the pause, moves time forward at once and yields to
/// the other tasks. Like a real clock, it throws `CancellationError` when the sleeping task is
/// cancelled, so that "stopped while retrying" and a stopped grace period can be tested.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex((now: Instant(offset: .zero), sleeps: [Duration](), held: 0))
    /// Time that never moves on its own: every sleep of 50 ms or more (a retry's backoff, a poll
    /// interval; not a rate-limiter slot, which waits at most a 20 ms tick) lasts until its task
    /// is cancelled.
    private let holdsSleeps: Bool

    init(holdsSleeps: Bool = false) {
        self.holdsSleeps = holdsSleeps
    }

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }
    /// Every pause asked for, in order.
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
    /// How many sleeps are held now (with `holdsSleeps`): tasks waiting for a time that never comes.
    var held: Int { state.withLock { $0.held } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        if holdsSleeps, now.duration(to: deadline) >= .milliseconds(50) {
            state.withLock { $0.held += 1 }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(1)) }
            state.withLock { $0.held -= 1 }
            throw CancellationError()
        }
        state.withLock { state in
            state.sleeps.append(state.now.duration(to: deadline))
            if state.now < deadline { state.now = deadline }
        }
        // A real suspension, as a sleep is: a loop that waits on this clock (a poll) lets the
        // other tasks run, the test's among them, instead of holding one of the pool's two threads.
        await Task.yield()
    }

    func advance(by duration: Duration) {
        state.withLock { $0.now = $0.now.advanced(by: duration) }
    }
}
