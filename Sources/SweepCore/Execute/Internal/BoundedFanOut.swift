/// Runs `work` on each item `next` hands out, with at most `limit` in flight ("one in, one out":
/// fill to the limit, then start one for each that finishes), and hands each result to `handle`
/// on the calling task, in completion order. Stops asking `next` for items when the task is
/// cancelled; the items in flight still finish and are handled.
///
/// `pause` holds items back while others are in flight: it returns `nil` when the next item may
/// start now, else something to await (a sleep) before asking again. Meanwhile items that finish
/// are handled as usual. With nothing in flight an item always starts, so a pause never stalls
/// the run, and `next` is never asked again once it has returned `nil`.
///
/// The one bounded fan-out of the engine (over a streamed job set) and the follow-up stage (over
/// the runs acted on).
/// - Throws: the first error `next` or `handle` throws, after the items in flight have finished
///   (each still offered to `handle`, whose errors are then ignored: the first one is thrown).
func forEachBounded<Item: Sendable, Output: Sendable>(
    limit: Int,
    next: () async throws(SweepError) -> Item?,
    pause: () -> (@Sendable () async -> Void)? = { nil },
    _ work: @escaping @Sendable (Item) async -> Output,
    handle: (Item, Output) throws(SweepError) -> Void
) async throws(SweepError) {
    let result: Result<Void, SweepError> = await withTaskGroup(of: Finished<Item, Output>.self) { group in
        var inFlight = 0
        var exhausted = false
        // The pause being waited out, if any: ended early once nothing is left to wait for.
        var napping: Task<Void, Never>?
        defer { napping?.cancel() }
        do throws(SweepError) {
            while true {
                fill: while !exhausted, inFlight < limit, !Task.isCancelled {
                    if inFlight > 0, let wait = pause() {
                        if napping == nil {
                            let nap = Task { await wait() }
                            napping = nap
                            group.addTask {
                                await nap.value; return .woke
                            }
                        }
                        break fill
                    }
                    guard let item = try await next() else {
                        exhausted = true
                        break fill
                    }
                    group.addTask { .finished(item, await work(item)) }
                    inFlight += 1
                }
                guard inFlight > 0, let finished = await group.next() else { break }
                switch finished {
                case .woke:
                    napping = nil
                case .finished(let item, let output):
                    inFlight -= 1
                    try handle(item, output)
                }
            }
            return .success(())
        } catch {
            // Record what is in flight, then stop.
            napping?.cancel()
            while let finished = await group.next() {
                if case .finished(let item, let output) = finished { try? handle(item, output) }
            }
            return .failure(error)
        }
    }
    try result.get()
}

/// What a child of ``forEachBounded(limit:next:pause:_:handle:)`` ends with.
private enum Finished<Item: Sendable, Output: Sendable>: Sendable {
    case finished(Item, Output)
    /// A pause ran out (or was ended): time to ask again.
    case woke
}

/// ``forEachBounded(limit:next:pause:_:handle:)`` over an array.
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
