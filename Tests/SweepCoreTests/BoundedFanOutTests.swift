import SweepGRPC
import SweepTestSupport
import Synchronization
import Testing

@testable import SweepCore

/// Answers every lookup with nothing: the resolver's settings are what is looked at.
private struct EmptyVisibility: ListingFake {
    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        ExecutionPage(executions: [], nextPageToken: [])
    }
}

@Suite("Bounded fan-out: pauses")
struct BoundedFanOutTests {
    /// Counts items in flight and the most seen at once.
    private final class Gauge: Sendable {
        private let state = Mutex((now: 0, most: 0, gaveUp: false))
        func enter() {
            state.withLock {
                $0.now += 1; $0.most = max($0.most, $0.now)
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        var most: Int { state.withLock { $0.most } }
        /// A wait for the fan-out to fill failed: the other items stop waiting too.
        var gaveUp: Bool {
            get { state.withLock { $0.gaveUp } }
            set { state.withLock { $0.gaveUp = newValue } }
        }
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
                // Each of the first eight waits until all eight are in: filled, whatever the
                // machine's speed (a fan-out that did not fill would fail the wait).
                do {
                    try await Patience.waitUntil("8 items in flight at once", every: .milliseconds(1)) {
                        (gauge.most >= 8 || gauge.gaveUp, "\(gauge.most) at most")
                    }
                } catch {
                    gauge.gaveUp = true
                }
                gauge.leave()
                return item
            },
            handle: { (_: Int, _: Int) throws(SweepError) in handled += 1 })
        #expect(handled == 40)
        #expect(gauge.most == 8, "\(gauge.most)")
    }

    /// Records whether a pause was ended (its task cancelled) rather than waited out.
    private final class PauseEnds: Sendable {
        private let state = Mutex((started: 0, ended: 0))
        func start() { state.withLock { $0.started += 1 } }
        func end() { state.withLock { $0.ended += 1 } }
        var startedAndEnded: (Int, Int) { state.withLock { ($0.started, $0.ended) } }
    }

    /// Runs items 0..<count, 5 ms of work each, four at most in flight, under a pause of a day
    /// that ends only when it is cancelled (counted in `pauses`).
    private func withLongPause(
        _ count: Int, pauses: PauseEnds, handle: (Int) throws(SweepError) -> Void
    ) async throws(SweepError) {
        var remaining = Array(0..<count)[...]
        try await forEachBounded(
            limit: 4,
            next: { () throws(SweepError) -> Int? in remaining.popFirst() },
            pause: {
                {
                    pauses.start()
                    try? await Task.sleep(for: .seconds(86_400))
                    if Task.isCancelled { pauses.end() }
                }
            },
            { (item: Int) -> Int in
                try? await Task.sleep(for: .milliseconds(5))
                return item
            },
            handle: { (item: Int, _: Int) throws(SweepError) in try handle(item) })
    }

    @Test("a long pause still pending when the last item finishes does not hold up the end", .timeLimit(.minutes(10)))
    func pendingPauseEndsWithTheRun() async throws {
        var handled = 0
        let pauses = PauseEnds()
        try await withLongPause(3, pauses: pauses) { _ throws(SweepError) in handled += 1 }
        #expect(handled == 3)
        // The pause was ended, not waited out (a day: the run would not have come back).
        let (started, ended) = pauses.startedAndEnded
        #expect(started >= 1 && ended == started, "\(started) pauses, \(ended) ended")
    }

    @Test(
        "an error from handle while a long pause is pending: every item in flight is still handled, and the end is not held up",
        .timeLimit(.minutes(10))
    )
    func errorWhilePaused() async throws {
        var handled: [Int] = []
        let pauses = PauseEnds()
        await #expect(throws: SweepError.self) {
            try await withLongPause(10, pauses: pauses) { item throws(SweepError) in
                handled.append(item)
                if item == 2 { throw SweepError(.usage, "stop here") }
            }
        }
        // One at a time (the pause holds the rest): items 0, 1 and 2 were started, and handled.
        #expect(handled == [0, 1, 2])
        let (started, ended) = pauses.startedAndEnded
        #expect(started >= 1 && ended == started, "\(started) pauses, \(ended) ended")
    }
}

@Suite("Listing pages")
struct ListingPageSizeTests {
    private func options(rate: Double, shard: Shard? = nil, engine: SweepOptions.Engine = .client, dryRun: Bool = false)
        -> SweepOptions
    {
        var options = SweepOptions(action: .cancel, source: .query("q"), dryRun: dryRun, rate: rate)
        options.shard = shard
        options.engine = engine
        return options
    }

    @Test("a cancel's pages hold half a second's work, this shard's share of it; 20 below 2/s; 1,000 otherwise")
    func sizes() throws {
        #expect(Preflight.listingPageSize(options(rate: 50)) == 25)
        #expect(Preflight.listingPageSize(options(rate: 10)) == 5)
        #expect(Preflight.listingPageSize(options(rate: 50, shard: try Shard(index: 0, count: 4))) == 100)
        #expect(Preflight.listingPageSize(options(rate: 1_000_000)) == 1000)
        #expect(Preflight.listingPageSize(options(rate: 1)) == 20)
        #expect(Preflight.listingPageSize(options(rate: 0.01)) == 20)
        #expect(Preflight.listingPageSize(options(rate: 50, engine: .server)) == 1000)
        #expect(Preflight.listingPageSize(options(rate: 50, dryRun: true)) == 1000)
        var terminate = options(rate: 50)
        terminate.action = .terminate
        #expect(Preflight.listingPageSize(terminate) == 1000)
    }

    @Test("bulk lookups: a cancel's hold half a second's work, looked up once half of one is out; else 900, at once")
    func lookups() throws {
        func resolver(
            _ action: Action?, rate: Double = 50, dryRun: Bool = false,
            engine: SweepOptions.Engine = .client, source: JobSource = .csvFile(path: "ids.csv"),
            resolution: SweepOptions.Resolution = .visibility
        ) -> VisibilityResolver? {
            var options = SweepOptions(action: action, source: source, dryRun: dryRun, rate: rate)
            options.engine = engine
            options.resolution = resolution
            return Runner.resolver(options, service: EmptyVisibility())
        }
        // What a cancel acts on stays fresh: small chunks, the next only once half is handed out.
        let cancel = try #require(resolver(.cancel))
        #expect(cancel.chunkSize == 25 && !cancel.looksAheadAtOnce && cancel.lookAhead == 1)
        let fast = try #require(resolver(.cancel, rate: 1_000_000))
        #expect(fast.chunkSize == 900 && !fast.looksAheadAtOnce)
        // Nothing acts on what these say (the server engine's batches are described afterwards;
        // a terminate pins its call to the run found, which the server refuses once closed).
        for acting in [
            resolver(.cancel, dryRun: true), resolver(nil, dryRun: true), resolver(.terminate, engine: .server),
            resolver(.terminate),
        ] {
            let lookups = try #require(acting)
            #expect(lookups.chunkSize == 900 && lookups.looksAheadAtOnce && lookups.lookAhead == 1)
        }
        #expect(try #require(resolver(nil, dryRun: true)).requiresFirstRunID)  // a plan
        // A listing, or Describe asked for: no lookups.
        #expect(resolver(.cancel, source: .query("q")) == nil)
        #expect(resolver(.cancel, resolution: .describe) == nil)
        var chain = SweepOptions(action: .cancel, source: .csvFile(path: "ids.csv"), rate: 50)
        chain.chain = true
        #expect(Runner.resolver(chain, service: EmptyVisibility()) == nil)
        // A cancel by the server engine acts through the batcher, described afterwards.
        let batched = try #require(resolver(.cancel, engine: .server))
        #expect(batched.chunkSize == 900 && batched.looksAheadAtOnce)
    }
}
