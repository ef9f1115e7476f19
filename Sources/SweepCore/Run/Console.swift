import Foundation

/// The operator's terminal: where prompts and the summary go, and whether anyone can answer.
package protocol Console: Sendable {
    /// Whether standard input and standard error are a terminal (someone can answer a prompt).
    var isInteractive: Bool { get }
    /// Whether standard output is a terminal (a dry run prints a table there, else plan CSV).
    var standardOutputIsTerminal: Bool { get }
    /// Prints a line for the operator (standard error: standard output may carry the report):
    /// errors, warnings and prompts, shown even with `--quiet`.
    func say(_ text: String)
    /// Prints an informational line (progress of the stages, the summary): not with `--quiet`.
    func note(_ text: String)
    /// Asks a question and reads one line of answer (`nil` at end of input).
    func ask(_ question: String) -> String?
}

extension Console {
    package func note(_ text: String) { say(text) }
}

/// The process's real terminal.
package struct StandardConsole: Console {
    /// `--quiet`: informational lines are dropped.
    package var quiet: Bool

    package init(quiet: Bool = false) {
        self.quiet = quiet
    }

    package func note(_ text: String) {
        if !quiet { say(text) }
    }

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
