import ArgumentParser

/// A duration on the command line: `90` or `90s`, `5m`, `1h`, `1.5m`, `7d`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    /// The value in seconds, as given (checked against ``Limits/duration`` before it becomes a
    /// `Duration`, which would overflow past about 292 years).
    var seconds: Double
    var duration: Duration { .seconds(seconds) }

    init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
        ]
        var text = argument.lowercased()
        var scale = 1.0
        for unit in units where text.hasSuffix(unit.suffix) {
            text.removeLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard let value = Double(text), value >= 0, value.isFinite, (value * scale).isFinite else { return nil }
        seconds = value * scale
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
