import ArgumentParser

/// The range each numeric flag accepts, checked before anything is sent (exit 2): values outside
/// them would overflow a `Duration` or an integer, or make no sense (a rate of one call a week).
enum Limits {
    /// `--rps`: from one call every 100 s to a million a second.
    static let rps = Range(0.01...1_000_000, unit: "per second")
    /// `--concurrency`.
    static let concurrency = Range(1.0...4096, unit: "")
    /// `--max-attempts`.
    static let maxAttempts = Range(1.0...1000, unit: "")
    /// `--retry-for`, in seconds: up to a day.
    static let retryFor = Range(0.0...86_400, unit: "seconds")
    /// `--max`: up to a billion workflows.
    static let max = Range(1.0...1_000_000_000, unit: "")
    /// `--wait`, `--escalate-after`: up to 7 days.
    static let duration = Range(0.0...604_800, unit: "seconds")
    /// `--max-duration`: a second to 7 days.
    static let maxDuration = Range(1.0...604_800, unit: "seconds")
    /// `--batch-size`: the executions list travels in the batch job's input, whose blob limit
    /// (2 MiB by default) holds about 15-20k IDs.
    static let batchSize = Range(1.0...15_000, unit: "")
    /// `--older-than`: up to about ten years.
    static let olderThan = Range(0.0...315_360_000, unit: "seconds")

    struct Range {
        var bounds: ClosedRange<Double>
        var unit: String

        init(_ bounds: ClosedRange<Double>, unit: String) {
            self.bounds = bounds
            self.unit = unit
        }

        func check(_ value: Double, flag: String) throws {
            guard value.isFinite, bounds.contains(value) else {
                throw ValidationError(
                    "\(flag) must be from \(Self.format(bounds.lowerBound)) to \(Self.format(bounds.upperBound))\(unit.isEmpty ? "" : " \(unit)") (got \(value))."
                )
            }
        }

        func check(_ value: Int, flag: String) throws {
            try check(Double(value), flag: flag)
        }

        private static func format(_ number: Double) -> String {
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
    }
}
