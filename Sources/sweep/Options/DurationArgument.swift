import ArgumentParser

/// A duration on the command line: `90` or `90s`, `5m`, `1h`, `1.5m`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var text = argument.lowercased()
        var scale = 1.0
        for unit in units where text.hasSuffix(unit.suffix) {
            text.removeLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        duration = .seconds(value * scale)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
