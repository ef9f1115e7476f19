/// Work started ahead of need (the next listing page, the next lookup), cancelled if the sequence
/// that started it is dropped before taking its value (the run ended early: `--max`, an error), so
/// that no call outlives the run's need of it.
final class Prefetch<Value: Sendable>: Sendable {
    private let task: Task<Value, Never>

    init(_ work: @escaping @Sendable () async -> Value) {
        task = Task(operation: work)
    }

    deinit {
        task.cancel()
    }

    /// The value; a stop (the waiting task cancelled) is passed on to the work.
    var value: Value {
        get async {
            await withTaskCancellationHandler {
                await task.value
            } onCancel: { [task] in
                task.cancel()
            }
        }
    }

    func cancel() {
        task.cancel()
    }
}
