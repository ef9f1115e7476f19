import ArgumentParser
import Foundation
import SweepCore

/// `sweep config`: the connection settings a run would use.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the connection settings a run would use.",
        subcommands: [Show.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective connection settings and where each came from, secrets masked.",
            discussion: """
                The order is the Temporal CLI's: a temporal.toml profile, then TEMPORAL_* \
                environment variables over it field by field, then flags. Nothing is sent to \
                the server. API keys, inline keys and credential headers are never shown.

                Examples:
                  sweep config show
                  sweep config show --profile prod
                  TEMPORAL_NAMESPACE=orders sweep config show --output json
                """
        )

        @OptionGroup(title: "Connection") var connection: ConnectionFlags

        @Option(name: .shortAndLong, help: "text (an aligned table) or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let console = StandardConsole()
            do {
                let configuration = try connection.configuration()
                switch output {
                case .text:
                    print(configuration.table)
                case .json:
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    let data = try encoder.encode(configuration.lines)
                    print(String(decoding: data, as: UTF8.self))
                }
            } catch let error as SweepError {
                console.say("error: \(error.message)")
                throw ExitCode(error.code.exitCode)
            }
        }
    }
}
