import Synchronization
import Testing

@testable import SweepCore

@Suite("Bounded fan-out: pauses")
struct BoundedFanOutTests {
    /// Counts items in flight and the most seen at once.
    private final class Gauge: Sendable {
        private let state = Mutex((now: 0, most: 0))
        func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLock { $0.now -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test("a pause that never lifts holds items back to one at a time, and every item is still handled once")
    func pauseNeverStalls() async throws {
        let gauge = Gauge()
        var remaining = Array(0..<20)[...]
        var asksAfterEnd = 0
        var ended = false
        var handled: [Int] = []
        try await forEachBounded(
            limit: 8,
            next: { () throws(SweepError) -> Int? in
                if ended { asksAfterEnd += 1 }
                guard let item = remaining.popFirst() else {
                    ended = true
                    return nil
                }
                return item
            },
            pause: { { try? await Task.sleep(for: .milliseconds(1)) } },
            { (item: Int) -> Int in
                gauge.enter()
                try? await Task.sleep(for: .milliseconds(2))
                gauge.leave()
                return item * 10
            },
            handle: { (item: Int, output: Int) throws(SweepError) in
                #expect(output == item * 10)
                handled.append(item)
            })
        #expect(handled.sorted() == Array(0..<20))
        // With something in flight the pause holds the next item; with nothing, one starts.
        #expect(gauge.most == 1)
        #expect(asksAfterEnd == 0)
    }

    @Test("without a pause the fan-out fills to its limit")
    func noPauseFills() async throws {
        let gauge = Gauge()
        var remaining = Array(0..<40)[...]
        var handled = 0
        try await forEachBounded(
            limit: 8,
            next: { () throws(SweepError) -> Int? in remaining.popFirst() },
            { (item: Int) -> Int in
                gauge.enter()
                try? await Task.sleep(for: .milliseconds(20))
                gauge.leave()
                return item
            },
            handle: { (_: Int, _: Int) throws(SweepError) in handled += 1 })
        #expect(handled == 40)
        #expect(gauge.most > 1 && gauge.most <= 8, "\(gauge.most)")
    }

    @Test("a long pause still pending when the last item finishes does not hold up the end")
    func pendingPauseEndsWithTheRun() async throws {
        var remaining = Array(0..<3)[...]
        var handled = 0
        let start = ContinuousClock.now
        try await forEachBounded(
            limit: 4,
            next: { () throws(SweepError) -> Int? in remaining.popFirst() },
            pause: { { try? await Task.sleep(for: .seconds(30)) } },
            { (item: Int) -> Int in
                try? await Task.sleep(for: .milliseconds(5))
                return item
            },
            handle: { (_: Int, _: Int) throws(SweepError) in handled += 1 })
        #expect(handled == 3)
        #expect(start.duration(to: .now) < .seconds(10))
    }
}
