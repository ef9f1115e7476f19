/// One CSV record: its fields, and the 1-based line on which it starts.
package struct CSVRecord: Hashable, Sendable {
    package var fields: [String]
    package var line: Int

    package init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}
