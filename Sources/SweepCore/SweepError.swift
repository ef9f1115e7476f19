/// A failure of the whole run (bad flags or input, an unreachable server), as opposed to a
/// per-workflow failure, which is an ``Outcome`` in the report.
package struct SweepError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure, which decides the exit code.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case usage, input, unreachable, server, io, output, interrupted
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Flags that contradict each other or a refused confirmation: nothing was sent.
        package static let usage = Code(.usage)
        /// Unreadable or invalid input (CSV, query, namespace): nothing was sent.
        package static let input = Code(.input)
        /// The Temporal server could not be reached.
        package static let unreachable = Code(.unreachable)
        /// The server answered a planning call with an error that is not about the input (nothing
        /// was sent). Mid-run (a listing page that keeps failing) it ends the run early: the
        /// summary's exit code is 1 then.
        package static let server = Code(.server)
        /// A local file could not be created or read before anything was sent (the report's
        /// directory is missing, the report exists, standard input cannot be copied).
        package static let io = Code(.io)
        /// The report (or plan) could not be written during the run (disk full, a closed pipe): the
        /// run stopped sending, and the report is missing rows.
        package static let output = Code(.output)
        /// The run was stopped by a signal.
        package static let interrupted = Code(.interrupted)

        package var description: String { "\(wrapped)" }

        /// The process exit code for this kind of failure (see README, "Exit codes").
        package var exitCode: Int32 {
            switch wrapped {
            case .usage, .input, .io, .server: 2
            case .unreachable: 3
            case .output: 6
            case .interrupted: 130
            }
        }
    }

    package var code: Code
    package var message: String
    package var cause: (any Error & Sendable)?

    package init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    package var description: String { message }

    package static func == (lhs: SweepError, rhs: SweepError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
