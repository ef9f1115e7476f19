/// A stage of a run that a signal, or the end of `--max-duration`, stops gracefully: the first
/// SIGINT or SIGTERM cancels it (no new work, calls in flight finish), a second one ends the
/// process (see ``StopSignals``).
enum GracefulStop {
    /// Why a stage was stopped before its end.
    enum Reason: Sendable, Hashable {
        /// SIGINT (2) or SIGTERM (15).
        case signal(Int32)
        /// `--max-duration` ran out.
        case deadline
    }

    /// Runs `work` while watching for SIGINT/SIGTERM and for `deadline`; the first of them
    /// cancels it (a graceful stop); a second signal ends the process.
    /// - Returns: how the work ended (`nil` if it never reported), and why it was stopped, if it
    ///   was: both, when a stopped stage also failed (its stop decides the exit code).
    @discardableResult
    static func run<Value: Sendable>(
        console: some Console,
        deadline: ContinuousClock.Instant? = nil,
        _ work: @escaping @Sendable () async throws(SweepError) -> Value
    ) async -> (outcome: Result<Value, SweepError>?, stoppedBy: Reason?) {
        var stoppedBy: Reason?
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
            if let deadline {
                group.addTask {
                    do {
                        try await Task.sleep(until: deadline, clock: .continuous)
                        return .deadline
                    } catch {
                        return .signal(nil)
                    }
                }
            }
            while let event = await group.next() {
                switch event {
                case .signal(let number?) where stoppedBy == nil:
                    stoppedBy = .signal(number)
                    console.note(
                        "stopping: no new workflows; letting calls in flight finish (signal again to exit now)")
                    group.cancelAll()
                case .deadline where stoppedBy == nil:
                    stoppedBy = .deadline
                    console.note("stopping: --max-duration is over; no new workflows, letting calls in flight finish")
                    group.cancelAll()
                case .signal, .deadline:
                    break
                case .finished(let result):
                    outcome = result
                    group.cancelAll()
                }
            }
        }
        return (outcome, stoppedBy)
    }
}

/// What ends a stoppable piece of work: its own end, a stop signal, or the deadline.
private enum StopEvent<Value: Sendable>: Sendable {
    case finished(Result<Value, SweepError>)
    case signal(Int32?)
    case deadline
}
