/// A stage of a run that a signal stops gracefully: the first SIGINT or SIGTERM cancels it (no new
/// work, calls in flight finish), a second one ends the process (see ``StopSignals``).
enum GracefulStop {
    /// Runs `work` while watching for SIGINT/SIGTERM; the first signal cancels it (a graceful
    /// stop), a second one ends the process.
    /// - Returns: the signal that stopped it, or `nil` if it ran to the end.
    @discardableResult
    static func run<Value: Sendable>(
        console: some Console,
        _ work: @escaping @Sendable () async throws(SweepError) -> Value
    ) async throws(SweepError) -> (value: Value?, interruptedBy: Int32?) {
        var interruptedBy: Int32?
        var outcome: Result<Value, SweepError>?
        await withTaskGroup(of: StopEvent<Value>.self) { group in
            group.addTask {
                do throws(SweepError) {
                    return .finished(.success(try await work()))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask { .signal(await StopSignals.first()) }
            while let event = await group.next() {
                switch event {
                case .signal(let number?):
                    interruptedBy = number
                    console.say("stopping: no new workflows; letting calls in flight finish (signal again to exit now)")
                    group.cancelAll()
                case .signal(nil):
                    break
                case .finished(let result):
                    outcome = result
                    group.cancelAll()
                }
            }
        }
        return (try outcome?.get(), interruptedBy)
    }

}

/// What ends a stoppable piece of work: its own end, or a stop signal.
private enum StopEvent<Value: Sendable>: Sendable {
    case finished(Result<Value, SweepError>)
    case signal(Int32?)
}
