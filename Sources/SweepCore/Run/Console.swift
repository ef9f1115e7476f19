import Foundation

/// The operator's terminal: where prompts and the summary go, and whether anyone can answer.
package protocol Console: Sendable {
    /// Whether standard input and standard error are a terminal (someone can answer a prompt).
    var isInteractive: Bool { get }
    /// Whether standard output is a terminal (a dry run prints a table there, else plan CSV).
    var standardOutputIsTerminal: Bool { get }
    /// Prints a line for the operator (standard error: standard output may carry the report).
    func say(_ text: String)
    /// Asks a question and reads one line of answer (`nil` at end of input).
    func ask(_ question: String) -> String?
}

/// The process's real terminal.
package struct StandardConsole: Console {
    package init() {}

    package var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

    package var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    package func say(_ text: String) {
        // A closed standard error must not end the run (the report is what matters).
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }

    package func ask(_ question: String) -> String? {
        try? FileHandle.standardError.write(contentsOf: Data(question.utf8))
        return readLine(strippingNewline: true)
    }
}
