import ArgumentParser
import Foundation
import SweepCore

@main
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Cancel or terminate Temporal workflow executions in bulk, with a per-workflow CSV report.",
        discussion: """
            Pick the workflows with exactly one of --query, --input or --workflow-id. Every run writes one
            report row per workflow as it goes (--report), and a summary on standard error.

            Exit codes: 0 every workflow reached its outcome; 1 some failed (or the listing failed);
            2 usage or input error, or a guard refused (nothing sent); 3 the server cannot be reached;
            4 some runs still open after --wait; 5 done, but some workflows were left alone on
            purpose (run_changed, or the job set grew past --max); 6 the report could not be written
            (disk full, closed pipe), so it is missing rows; 130/143 stopped by SIGINT/SIGTERM
            (finish with --resume REPORT).
            """,
        version: SweepVersion.current,
        subcommands: [Cancel.self, Terminate.self, Plan.self, Apply.self, Config.self]
    )

    /// Parses and runs, mapping flag errors to exit code 2 (argument-parser's default is 64) so
    /// that every "nothing was sent" failure has the same code.
    static func main() async {
        // A closed pipe (`--report - | head`) is a write error to report, not a silent death.
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        ProcessTitle.hideSecrets()
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
