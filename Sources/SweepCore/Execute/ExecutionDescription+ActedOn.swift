import Foundation

extension ExecutionDescription {
    /// Clock skew allowed between this machine and the server when comparing their times.
    static let clockSkew: TimeInterval = 2

    /// Whether this run shows `action` as taken since `date` (the first call for it, less the
    /// allowed clock skew): terminated since then, or, for a cancel, with the cancel request (or
    /// closed CANCELED since then). How an ambiguous failure is told apart from one that landed.
    func shows(_ action: Action?, since date: Date) -> Bool {
        let closedSince = (closeTime ?? .distantPast) >= date - Self.clockSkew
        switch action {
        case .terminate: return status == .terminated && closedSince
        case .cancel: return cancelRequested || (status == .canceled && closedSince)
        case nil: return false
        }
    }

    /// Whether this run started well before `date` (by more than the allowed clock skew).
    func startedBefore(_ date: Date) -> Bool {
        guard let startTime else { return false }
        return Self.started(startTime, before: date)
    }

    /// Whether `startTime` is well before `date` (by more than the allowed clock skew).
    static func started(_ startTime: Date, before date: Date) -> Bool {
        startTime < date - clockSkew
    }
}
