/// A run's job set as one async sequence, whatever the source: streamed, never materialised.
///
/// A workflow (and run) given again in a CSV or on the command line is passed on marked
/// ``Job/isDuplicate``, so it is reported once more but acted on once. A run that a *listing*
/// returns again is dropped instead: visibility pages by sort keys that change when a run closes
/// (its close time moves it), so a sweep re-meets runs it has just acted on; that is paging, not
/// the operator's duplicate. Recognising either keeps one key per distinct job in memory.
package struct Jobs: AsyncSequence, Sendable {
    package typealias Element = Job

    private enum Base: Sendable {
        case query(QueryJobs)
        case csv(CSVJobs)
        case list([Job])
    }

    private let base: Base

    /// The jobs of `source`; listing calls go through `service`.
    package init(_ source: JobSource, service: any WorkflowService, pageSize: Int = 1000) {
        switch source {
        case .query(let query):
            base = .query(QueryJobs(service: service, query: query, pageSize: pageSize))
        case .csvFile(let path):
            base = .csv(CSVJobs(path: path))
        case .planFile(let path):
            base = .csv(CSVJobs(path: path, isPlan: true))
        case .workflowIDs(let ids, let runID):
            base = .list(ids.map { Job(target: WorkflowTarget(workflowID: $0, runID: runID)) })
        }
    }

    package func makeAsyncIterator() -> Iterator {
        switch base {
        case .query(let jobs): Iterator(base: .query(jobs.makeAsyncIterator()))
        case .csv(let jobs): Iterator(base: .csv(jobs.makeAsyncIterator()))
        case .list(let jobs): Iterator(base: .list(jobs.makeIterator()))
        }
    }

    package struct Iterator: AsyncIteratorProtocol {
        fileprivate enum Base {
            case query(QueryJobs.Iterator)
            case csv(CSVJobs.Iterator)
            case list(IndexingIterator<[Job]>)
        }

        fileprivate var base: Base
        private var seen: Set<String> = []
        private var count = 0

        fileprivate init(base: Base) {
            self.base = base
        }

        package mutating func next() async throws -> Job? {
            while var job = try await nextFromBase() {
                job.isDuplicate = !seen.insert(job.deduplicationKey).inserted
                if job.isDuplicate, case .query = base { continue }
                job.sequence = count
                count += 1
                return job
            }
            return nil
        }

        private mutating func nextFromBase() async throws -> Job? {
            switch base {
            case .query(var iterator):
                defer { base = .query(iterator) }
                return try await iterator.next()
            case .csv(var iterator):
                defer { base = .csv(iterator) }
                return try await iterator.next()
            case .list(var iterator):
                defer { base = .list(iterator) }
                return iterator.next()
            }
        }
    }
}
