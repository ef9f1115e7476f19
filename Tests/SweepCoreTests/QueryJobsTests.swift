import Foundation
import SweepCore
import SweepGRPC
import Synchronization
import Testing

/// A listing of `pages` pages of `pageSize` runs, with scripted failures per page.
final class PagedListing: ListingFake {
    private struct State {
        var failures: [Int: [RPCError]] = [:]
        var listCalls: [Int] = []
    }

    private let state: Mutex<State>
    let pages: Int
    let pageSize: Int

    /// What every count answers instead of the number, when set.
    let countFailure: RPCError?

    init(pages: Int, pageSize: Int, failures: [Int: [RPCError]] = [:], countFailure: RPCError? = nil) {
        self.pages = pages
        self.pageSize = pageSize
        self.countFailure = countFailure
        state = Mutex(State(failures: failures))
    }

    /// The pages asked for, in order (retries included).
    var listCalls: [Int] { state.withLock { $0.listCalls } }

    func count(query: String) async throws(RPCError) -> Int {
        if let countFailure { throw countFailure }
        return pages * pageSize
    }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        let page = pageToken.first.map(Int.init) ?? 0
        let failure: RPCError? = state.withLock { state in
            state.listCalls.append(page)
            guard var script = state.failures[page], !script.isEmpty else { return nil }
            let first = script.removeFirst()
            state.failures[page] = script
            return first
        }
        if let failure { throw failure }
        let executions = (0..<self.pageSize).map { index in
            ExecutionDescription(
                workflowID: "p\(page)-\(index)",
                runID: "4b0b5a5c-0e4f-4d3c-9b7e-\(String(format: "%012d", page * 1000 + index))",
                workflowType: "T", status: .running)
        }
        return ExecutionPage(executions: executions, nextPageToken: page + 1 < pages ? [UInt8(page + 1)] : [])
    }

}

@Suite("Listing a query")
struct QueryJobsTests {
    @Test(
        "a count that times out: with --max, up to max+1 runs are listed instead; without, the error says to add --max")
    func countFails() async throws {
        let service = PagedListing(
            pages: 3, pageSize: 4, countFailure: RPCError(code: .deadlineExceeded, message: "visibility timed out"))
        let planner = Planner(service: service, pageSize: 4, retry: RetryPolicy(maxAttempts: 2), clock: ManualClock())
        // 12 runs: a --max of 10 sees 11 (over it, refused), one of 20 sees all 12.
        let over = try await planner.survey(.query("q"), maximum: 10)
        #expect(over.count == 11 && over.countIsListed)
        #expect(try await planner.survey(.query("q"), maximum: 20).count == 12)
        do {
            _ = try await planner.survey(.query("q"))
            Issue.record("a query that cannot be counted was surveyed without --max")
        } catch {
            #expect(error.message.contains("add --max N"), "\(error.message)")
            #expect(error.message.contains("nothing was sent"))
        }
        // A query the server rejects is still the query's error, not a count to list around.
        let rejected = PagedListing(
            pages: 1, pageSize: 1, countFailure: RPCError(code: .invalidArgument, message: "bad query"))
        do {
            _ = try await Planner(service: rejected, clock: ManualClock()).survey(.query("q"), maximum: 10)
            Issue.record("a rejected query was surveyed")
        } catch {
            #expect(error.code == .input)
            #expect(rejected.listCalls.isEmpty)
        }
    }

    @Test("a page that times out or is throttled is retried under the run's policy, on its clock")
    func pageRetried() async throws {
        let service = PagedListing(
            pages: 3, pageSize: 2,
            failures: [
                1: [
                    RPCError(code: .deadlineExceeded, message: "slow"),
                    RPCError(code: .resourceExhausted, message: "visibility rate limit"),
                    RPCError(code: .unavailable, message: "restarting"),
                ]
            ])
        let clock = ManualClock()
        var ids: [String] = []
        for try await job in QueryJobs(service: service, query: "q", pageSize: 2, clock: clock) {
            ids.append(job.target.workflowID)
        }
        #expect(ids.count == 6)
        #expect(service.listCalls == [0, 1, 1, 1, 1, 2])
        #expect(clock.sleeps.count == 3)
    }

    @Test("a page that keeps failing ends the listing with an error that says how far it got")
    func pageFails() async throws {
        let service = PagedListing(
            pages: 3, pageSize: 2,
            failures: [1: Array(repeating: RPCError(code: .deadlineExceeded, message: "slow"), count: 9)])
        var ids: [String] = []
        let error = await #expect(throws: SweepError.self) {
            for try await job in QueryJobs(
                service: service, query: "q", pageSize: 2, retry: RetryPolicy(maxAttempts: 3), clock: ManualClock())
            {
                ids.append(job.target.workflowID)
            }
        }
        #expect(ids.count == 2)
        #expect(error?.message.contains("after 2 workflows") == true)
    }

    @Test("after a stop, the page in hand is handed out and no further page is fetched")
    func stopDoesNotPage() async throws {
        let service = PagedListing(pages: 50, pageSize: 10)
        let progress = SourceProgress()
        let listing = QueryJobs(service: service, query: "q", pageSize: 10, clock: ManualClock(), progress: progress)
        let handed = await Task {
            var iterator = listing.makeAsyncIterator()
            var count = 0
            while let _ = try? await iterator.next() {
                count += 1
                if count == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return count
        }.value
        #expect(handed == 10)
        #expect(service.listCalls == [0])
        #expect(progress.stoppedListing)
    }

    @Test("the next page is asked for once half of the page in hand is handed out, and every run comes once, in order")
    func pagesAhead() async throws {
        let service = PagedListing(pages: 3, pageSize: 10)
        var iterator = QueryJobs(service: service, query: "q", pageSize: 10, clock: ManualClock()).makeAsyncIterator()
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try await iterator.next()?.target.workflowID ?? "") }
        #expect(service.listCalls == [0], "half a page handed out: nothing asked ahead yet")
        ids.append(try await iterator.next()?.target.workflowID ?? "")
        // The sixth job starts the fetch of page 1 (in the background).
        while service.listCalls.count < 2 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(service.listCalls == [0, 1])
        while let job = try await iterator.next() { ids.append(job.target.workflowID) }
        #expect(ids == (0..<3).flatMap { page in (0..<10).map { "p\(page)-\($0)" } })
        #expect(service.listCalls == [0, 1, 2])
    }

    @Test("a stop while a page fetched ahead keeps failing ends the listing at once, reported stopped")
    func stopWhilePrefetchRetries() async throws {
        // Page 1 fails a hundred times: its retries (on the test clock, held) would take long.
        let failures = Array(repeating: RPCError(code: .unavailable, message: "down"), count: 100)
        let service = PagedListing(pages: 3, pageSize: 10, failures: [1: failures])
        let progress = SourceProgress()
        let listing = QueryJobs(
            service: service, query: "q", pageSize: 10, clock: ManualClock(holdsSleeps: true), progress: progress)
        let consumer = Task {
            var iterator = listing.makeAsyncIterator()
            var count = 0
            while let _ = try await iterator.next() { count += 1 }
            return count
        }
        while service.listCalls.count < 2 { try await Task.sleep(for: .milliseconds(1)) }
        consumer.cancel()
        let handed = try await consumer.value
        #expect(handed == 10)
        #expect(progress.stoppedListing)
    }

    @Test("a page fetched ahead is cancelled when the listing is dropped before taking it (--max, an error)")
    func droppedListingCancelsItsFetch() async throws {
        let service = HangingListing()
        do {
            var iterator = QueryJobs(service: service, query: "q", pageSize: 10, clock: ManualClock())
                .makeAsyncIterator()
            for _ in 0..<6 { _ = try await iterator.next() }
            // Past half the page: page 1 is being fetched, and hangs.
            while !service.asked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        }
        // The iterator is gone: its fetch must not live on.
        let deadline = ContinuousClock.now + .seconds(10)
        while !service.cancelled.withLock({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(service.cancelled.withLock { $0 })
    }
}

extension QueryJobsTests {
    @Test("a stop while the next page is fetched ahead cancels that fetch, and hands out the page in hand")
    func stopCancelsTheFetchAhead() async throws {
        let service = HangingListing()
        let progress = SourceProgress()
        let listing = QueryJobs(service: service, query: "q", pageSize: 10, clock: ManualClock(), progress: progress)
        let handed = await Task {
            var iterator = listing.makeAsyncIterator()
            var count = 0
            while let _ = try? await iterator.next() {
                count += 1
                if count == 7 {
                    // Page 1 is being fetched (and hangs) when the stop comes.
                    while !service.asked.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
            return count
        }.value
        #expect(handed == 10)
        #expect(progress.stoppedListing)
        let deadline = ContinuousClock.now + .seconds(10)
        while !service.cancelled.withLock({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(service.cancelled.withLock { $0 })
    }
}

/// Page 0 at once; page 1 never answers until the call's task is cancelled.
private final class HangingListing: ListingFake {
    let asked = Mutex(false)
    let cancelled = Mutex(false)

    func count(query: String) async throws(RPCError) -> Int { 20 }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        if pageToken.isEmpty {
            let executions = (0..<10).map { index in
                ExecutionDescription(workflowID: "w\(index)", runID: "r\(index)", workflowType: "T", status: .running)
            }
            return ExecutionPage(executions: executions, nextPageToken: [1])
        }
        asked.withLock { $0 = true }
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(1)) }
        cancelled.withLock { $0 = true }
        throw RPCError(code: .cancelled, message: "cancelled")
    }

}
