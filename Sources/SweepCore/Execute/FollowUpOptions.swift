/// `--escalate-after` and `--wait`: what the follow-up stage does after the engine has acted.
package struct FollowUpOptions: Sendable, Hashable {
    /// `cancel --escalate-after`: terminate what is still open this long after its cancel request.
    package var escalateAfter: Duration?
    /// `--wait`: poll until each run acted on has closed, or this long has passed.
    package var waitTimeout: Duration?
    /// The pause between polling rounds.
    package var pollInterval: Duration

    package init(escalateAfter: Duration? = nil, waitTimeout: Duration? = nil, pollInterval: Duration = .seconds(1)) {
        self.escalateAfter = escalateAfter
        self.waitTimeout = waitTimeout
        self.pollInterval = pollInterval
    }

    package var isEmpty: Bool { escalateAfter == nil && waitTimeout == nil }
}
