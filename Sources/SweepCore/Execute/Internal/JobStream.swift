import Foundation

/// How the engines read their job source: the next job (a failing source is a whole-run
/// failure), and the rows of the jobs left when a run stops early.
enum JobStream {
    /// The source's next job.
    /// - Throws: ``SweepError`` for a source that failed (`.input` unless it said otherwise).
    static func next<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws(SweepError) -> Job?
    where Iterator.Element == Job {
        do {
            return try await iterator.next()
        } catch let error as SweepError {
            throw error
        } catch {
            throw SweepError(.input, "reading the job set failed: \(error)")
        }
    }

    /// The row of a job that needs no call: a duplicate, or one that is not sent (`why`).
    static func unsent(_ job: Job, action: Action?, why: String = "stopped before it was sent") -> JobResult {
        JobAttempt<ContinuousClock.Instant>(job: job, action: action).finish(
            job.isDuplicate ? .duplicate : .notAttempted,
            message: job.isDuplicate ? "listed earlier in the input; acted on once" : why, elapsed: .zero)
    }

    /// Accounts for every job the source still holds, without sending anything (a listing stops
    /// at the page it has: see ``QueryJobs``).
    static func drain<Iterator: AsyncIteratorProtocol>(
        _ iterator: inout Iterator, action: Action?, why: String = "stopped before it was sent",
        into reporter: some ReportSink
    ) async throws(SweepError) where Iterator.Element == Job {
        while let job = try await next(&iterator) {
            try reporter.record(unsent(job, action: action, why: why))
        }
    }
}
