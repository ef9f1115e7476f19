package import Foundation

/// Narrowing a visibility query safely, without hand-quoted timestamps.
package enum QueryFilter {
    /// `(query) AND StartTime < '<now - age>'`, the time in UTC to the second (RFC 3339).
    package static func startedBefore(_ age: Duration, in query: String, now: Date = Date()) -> String {
        let cutoff = now.addingTimeInterval(-age.inSeconds)
        let stamp = cutoff.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        return "(\(query)) AND StartTime < '\(stamp)'"
    }
}
