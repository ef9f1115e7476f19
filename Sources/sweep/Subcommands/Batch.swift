import ArgumentParser
import Foundation
import SweepCore

/// `sweep batch`: the namespace's server batch jobs (`--engine server` starts them).
struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe or stop the namespace's server batch jobs.",
        discussion: """
            Jobs started by sweep --engine server are named sweep-<action>-<time>-<hex>-<n>; \
            the Temporal CLI's and other clients' jobs are listed too. A table on a terminal, \
            JSON with --output json.

            Examples:
              sweep batch list
              sweep batch describe sweep-terminate-20261129T174330Z-a9e4-1
              sweep batch stop sweep-terminate-20261129T174330Z-a9e4-1 --reason "INC-1234: wrong query"
            """,
        subcommands: [List.self, Describe.self, Stop.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The batch jobs, newest first.")

        @Option(help: ArgumentHelp("List at most this many jobs.", valueName: "n"))
        var limit = 100

        @Option(name: .shortAndLong, help: "text (an aligned table) or json.")
        var output: OutputFormat = .text

        @OptionGroup(title: "Connection") var connection: ConnectionFlags

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000.") }
        }

        func run() async throws {
            try await Batch.reporting {
                let jobs = try await BatchCommands.list(try connection.options(identity: nil), limit: limit)
                switch output {
                case .text: print(jobs.isEmpty ? "no batch jobs" : BatchCommands.table(jobs))
                case .json: print(jobs.isEmpty ? "[]" : BatchCommands.json(jobs.map(BatchCommands.Listed.init)))
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One job: its state, times and counts (the batcher counts NOT_FOUND as done).")

        @Argument(help: "The batch job ID.") var jobID: String

        @Option(name: .shortAndLong, help: "text (an aligned table) or json.")
        var output: OutputFormat = .text

        @OptionGroup(title: "Connection") var connection: ConnectionFlags

        func run() async throws {
            try await Batch.reporting {
                let job = try await BatchCommands.describe(try connection.options(identity: nil), jobID: jobID)
                Batch.show(job, output)
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a running job; what it already did stays done.")

        @Argument(help: "The batch job ID.") var jobID: String

        @Option(help: "Why it is stopped (default: says sweep batch stop did it).")
        var reason: String?

        @Option(help: "The identity recorded with the stop (default: temporal-sweep/<version> <user>@<host>).")
        var identity: String?

        @Option(name: .shortAndLong, help: "text (an aligned table) or json.")
        var output: OutputFormat = .text

        @OptionGroup(title: "Connection") var connection: ConnectionFlags

        func run() async throws {
            try await Batch.reporting {
                let options = try connection.options(identity: identity)
                let stopped = try await BatchCommands.stop(
                    options, jobID: jobID, reason: reason ?? "stopped with sweep batch stop by \(options.identity)")
                if stopped.alreadyEnded {
                    StandardConsole().say("batch job \(jobID.escapedForTerminal) had already ended; nothing to stop")
                }
                Batch.show(stopped.job, output)
            }
        }
    }

    static func show(_ job: BatchJob, _ output: OutputFormat) {
        switch output {
        case .text: print(BatchCommands.table([job]))
        case .json: print(BatchCommands.json(job))
        }
    }

    /// Runs `body`; a ``SweepError`` is printed and becomes its exit code.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as SweepError {
            // The server's words and a job ID typed in may hold anything: escaped for the terminal.
            StandardConsole().say("error: \(error.message.escapedForTerminal)")
            throw ExitCode(error.code.exitCode)
        }
    }
}
