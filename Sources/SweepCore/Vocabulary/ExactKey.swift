/// A workflow ID (or an ID and a run) compared byte for byte, as Temporal compares IDs.
///
/// Swift's `String` equality is canonical equivalence: "café" spelled with a precomposed é and
/// "café" spelled with e and a combining accent are equal Strings, and would share one entry of a
/// `Set<String>`, but they are two workflow IDs to the server. Every set or map that decides
/// whether a workflow was met before (duplicates, a resumed report's rows) is keyed by this type,
/// so that neither is reported a duplicate of the other, or skipped as settled by the other's row.
package struct ExactKey: Hashable, Sendable, CustomStringConvertible {
    package let text: String

    package init(_ text: String) {
        self.text = text
    }

    /// The key of a workflow ID and run (no run: the workflow's key among pinned and unpinned ones).
    package init(workflowID: String, runID: String?) {
        self.text = workflowID + "\u{0}" + (runID ?? "")
    }

    package static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        lhs.text.utf8.count == rhs.text.utf8.count && lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    package func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    package var description: String { text }
}
