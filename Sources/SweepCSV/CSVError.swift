/// Why a CSV input could not be read, with the 1-based line where the offending record starts.
package struct CSVError: Error, Hashable, Sendable, CustomStringConvertible {
    package var line: Int
    package var message: String

    package init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    package var description: String { "line \(line): \(message)" }
}
