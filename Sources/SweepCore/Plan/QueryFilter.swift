package import Foundation

/// Narrowing a visibility query safely, without hand-quoted timestamps.
package enum QueryFilter {
    /// `(query) AND StartTime < '<now - age>'`, the time in UTC to the second (RFC 3339).
    ///
    /// Safe only for a query that ``unbalanced(_:)`` accepts: one that closed a parenthesis it
    /// never opened (`A='x') OR (B='y'`) would escape the narrowing.
    package static func startedBefore(_ age: Duration, in query: String, now: Date = Date()) -> String {
        let cutoff = now.addingTimeInterval(-age.inSeconds)
        let stamp = cutoff.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        return "(\(query)) AND StartTime < '\(stamp)'"
    }

    /// What is wrong with `query`'s parentheses or quotes, or nil when every parenthesis outside a
    /// literal closes one opened before it, every one opened is closed, and every literal ends.
    ///
    /// Literals are quoted with `'`, `"` or a backtick, as in Temporal's list filter, and a
    /// backslash in one escapes the next character: `WorkflowId = 'a)b('` is balanced.
    package static func unbalanced(_ query: String) -> String? {
        var depth = 0
        var quote: Character?
        var escaped = false
        for (offset, character) in query.enumerated() {
            if let open = quote {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
                continue
            }
            switch character {
            case "'", "\"", "`": quote = character
            case "(": depth += 1
            case ")":
                guard depth > 0 else {
                    return "the ')' at character \(offset + 1) closes a parenthesis that was never opened"
                }
                depth -= 1
            default: break
            }
        }
        if let quote { return "a literal opened with \(quote) never ends" }
        if depth > 0 { return depth == 1 ? "a '(' is never closed" : "\(depth) '(' are never closed" }
        return nil
    }
}
