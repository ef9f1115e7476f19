package import Foundation

/// Who asked a run to cancel or terminate, why and when, as its history recorded it.
package struct RecordedRequest: Sendable, Hashable {
    package var identity: String
    package var reason: String
    package var time: Date?

    package init(identity: String, reason: String, time: Date?) {
        self.identity = identity
        self.reason = reason
        self.time = time
    }

    /// History pages (of up to 1,000 events) read at most to find a request.
    package static let pagesRead = 10
}
