/// One CSV record: its fields, the 1-based line on which it starts, and where it ends.
package struct CSVRecord: Hashable, Sendable {
    package var fields: [String]
    package var line: Int
    /// The byte offset just past the record's line end in the whole input (for a record that the
    /// end of the input completed, without a line end: the input's length).
    package var endOffset: Int
    /// Whether a line end completed the record (false: the input ended in the middle of it).
    package var isTerminated: Bool

    package init(fields: [String], line: Int, endOffset: Int = 0, isTerminated: Bool = true) {
        self.fields = fields
        self.line = line
        self.endOffset = endOffset
        self.isTerminated = isTerminated
    }
}
