/// Who sent a cancel or terminate, as history records it: the identity and the reason.
package struct Requester: Sendable, Hashable {
    package var identity: String
    package var reason: String

    package init(identity: String, reason: String) {
        self.identity = identity
        self.reason = reason
    }
}
