import ArgumentParser
import Foundation
import SweepCore

@main
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Cancel or terminate Temporal workflow executions in bulk, with a per-workflow CSV report.",
        discussion: """
            Pick the workflows with exactly one of --query (-q), --input or --workflow-id (-w). \
            Every run writes one report row per workflow as it goes (--report), and a summary on \
            standard error. Connection settings come from flags, TEMPORAL_* variables and \
            temporal.toml profiles, as for the Temporal CLI (sweep config show).

            During an incident: preview, then act.
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --dry-run
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --reason "INC-1234" --max 5000 --yes

            Review the exact runs first:
              sweep plan -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --out plan.csv
              sweep apply plan.csv --action cancel --escalate-after 5m

            Past one machine: Temporal's batch engine, or a share per host:
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --engine server --yes --max 50000
              sweep batch list
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --shard 0/4 --yes --max 50000

            Nightly from cron:
              sweep terminate -q "WorkflowType='OrderSaga' AND ExecutionStatus='Running'" \\
                --older-than 24h --yes \\
                --max 10000 --lock /var/lib/sweep/nightly.lock --max-duration 50m \\
                --metrics-file /var/lib/node_exporter/sweep.prom -o json --profile prod

            Exit codes: 0 every workflow reached its outcome; 1 some failed (or the \
            listing failed); 2 usage or input error, or a guard refused (nothing sent); \
            3 the server cannot be reached, or TLS or the credentials were refused; 4 some \
            runs still open after --wait; 5 done, but some workflows were left alone on \
            purpose (run_changed, or the job set grew past --max); 6 the report could not \
            be written, so it is missing rows; 75 another run holds --lock; 124 \
            --max-duration ran out (finish with --resume REPORT); 130/143 stopped by \
            SIGINT/SIGTERM (finish with --resume REPORT).

            Shell completion: sweep --generate-completion-script bash|zsh|fish \
            (README: "Shell completion").
            """,
        version: SweepVersion.current,
        subcommands: [Cancel.self, Terminate.self, Plan.self, Apply.self, Batch.self, Config.self]
    )

    /// Parses and runs, mapping flag errors to exit code 2 (argument-parser's default is 64) so
    /// that every "nothing was sent" failure has the same code.
    static func main() async {
        // A closed pipe (`--report - | head`) is a write error to report, not a silent death.
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        ProcessTitle.hideSecrets()
        if let unknown = UnknownCommand.message(arguments, commands: configuration.subcommands.map { $0._commandName })
        {
            FileHandle.standardError.write(Data((unknown + "\n").utf8))
            Foundation.exit(2)
        }
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
                let full = fullMessage(for: error)
                let message = UnknownCommand.mistypedOption(arguments, message: full) ?? full
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
