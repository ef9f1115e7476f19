/// Runs `work` on each item with at most `limit` in flight ("one in, one out": fill to the
/// limit, then start one for each that finishes) and hands each result to `handle` on the calling
/// task, in completion order. Stops starting new items when the task is cancelled.
/// - Returns: the items never started (after a cancellation).
/// - Throws: the first error `handle` throws, after the items in flight have finished.
func forEachBounded<Item: Sendable, Output: Sendable>(
    _ items: [Item],
    limit: Int,
    _ work: @escaping @Sendable (Item) async -> Output,
    handle: (Item, Output) throws(SweepError) -> Void
) async throws(SweepError) -> [Item] {
    let result: Result<[Item], SweepError> = await withTaskGroup(of: (Item, Output).self) { group in
        var next = items[...]
        var inFlight = 0
        do throws(SweepError) {
            while true {
                while inFlight < limit, !Task.isCancelled, let item = next.popFirst() {
                    group.addTask { (item, await work(item)) }
                    inFlight += 1
                }
                guard inFlight > 0, let (item, output) = await group.next() else { break }
                inFlight -= 1
                try handle(item, output)
            }
            return .success(Array(next))
        } catch {
            while await group.next() != nil {}
            return .failure(error)
        }
    }
    return try result.get()
}
