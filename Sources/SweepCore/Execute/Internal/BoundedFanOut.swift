/// Runs `work` on each item `next` hands out, with at most `limit` in flight ("one in, one out":
/// fill to the limit, then start one for each that finishes), and hands each result to `handle`
/// on the calling task, in completion order. Stops asking `next` for items when the task is
/// cancelled; the items in flight still finish and are handled.
///
/// The one bounded fan-out of the engine (over a streamed job set) and the follow-up stage (over
/// the runs acted on).
/// - Throws: the first error `next` or `handle` throws, after the items in flight have finished
///   (each still offered to `handle`, whose errors are then ignored: the first one is thrown).
func forEachBounded<Item: Sendable, Output: Sendable>(
    limit: Int,
    next: () async throws(SweepError) -> Item?,
    _ work: @escaping @Sendable (Item) async -> Output,
    handle: (Item, Output) throws(SweepError) -> Void
) async throws(SweepError) {
    let result: Result<Void, SweepError> = await withTaskGroup(of: (Item, Output).self) { group in
        var inFlight = 0
        do throws(SweepError) {
            while true {
                while inFlight < limit, !Task.isCancelled, let item = try await next() {
                    group.addTask { (item, await work(item)) }
                    inFlight += 1
                }
                guard inFlight > 0, let (item, output) = await group.next() else { break }
                inFlight -= 1
                try handle(item, output)
            }
            return .success(())
        } catch {
            // Record what is in flight, then stop.
            while let (item, output) = await group.next() {
                try? handle(item, output)
            }
            return .failure(error)
        }
    }
    try result.get()
}

/// ``forEachBounded(limit:next:_:handle:)`` over an array.
/// - Returns: the items never started (after a cancellation).
func forEachBounded<Item: Sendable, Output: Sendable>(
    _ items: [Item],
    limit: Int,
    _ work: @escaping @Sendable (Item) async -> Output,
    handle: (Item, Output) throws(SweepError) -> Void
) async throws(SweepError) -> [Item] {
    var remaining = items[...]
    try await forEachBounded(
        limit: limit, next: { () throws(SweepError) in remaining.popFirst() }, work, handle: handle)
    return Array(remaining)
}
