/// One CSV record: its fields, the 1-based line on which it starts, and where it ends.
///
/// A record of one field (a column of IDs, the common case of a million-line input) holds it
/// without an array: ``count`` and the subscript read it without allocating; ``fields`` makes the
/// array.
package struct CSVRecord: Hashable, Sendable {
    /// The first field ("" for a record without fields), and the others.
    private var first: String
    private var rest: [String]
    /// Fields in the record (0 only for one made so).
    package let count: Int
    package var line: Int
    /// The byte offset just past the record's line end in the whole input (for a record that the
    /// end of the input completed, without a line end: the input's length).
    package var endOffset: Int
    /// Whether a line end completed the record (false: the input ended in the middle of it).
    package var isTerminated: Bool

    package init(fields: [String], line: Int, endOffset: Int = 0, isTerminated: Bool = true) {
        self.init(
            first: fields.first ?? "", rest: Array(fields.dropFirst()), count: fields.count, line: line,
            endOffset: endOffset, isTerminated: isTerminated)
    }

    /// A record from its first field and the others (`count` is 1 + `rest.count`, or 0).
    init(first: String, rest: [String], count: Int, line: Int, endOffset: Int, isTerminated: Bool) {
        self.first = first
        self.rest = rest
        self.count = count
        self.line = line
        self.endOffset = endOffset
        self.isTerminated = isTerminated
    }

    /// Every field, in order.
    package var fields: [String] { count == 0 ? [] : [first] + rest }

    /// Field `index` (0-based, below ``count``).
    package subscript(index: Int) -> String {
        precondition(index >= 0 && index < count, "field \(index) of a record of \(count)")
        return index == 0 ? first : rest[index - 1]
    }
}
