import ArgumentParser
import SweepCore

/// Past one client: Temporal's own batch engine, and shards of one job set across hosts.
struct ScaleOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Who sends the calls: client (sweep, paced by --rps) or server (Temporal's batch engine, StartBatchOperation on the exact runs planned, then a per-workflow report).",
            valueName: "client|server"))
    var engine: EngineArgument = .client

    @Option(
        name: .customLong("batch-size"),
        help: ArgumentHelp(
            "With --engine server: workflows per batch job (jobs run one after another; the server allows one per namespace by default; default 5000).",
            valueName: "n"))
    var batchSize: Int?

    @Option(
        help: ArgumentHelp(
            "Take only this host's share: INDEX/COUNT (0-based, e.g. 0/4), by a stable hash of the workflow ID; COUNT runs with indexes 0 to COUNT-1 cover the job set exactly once.",
            valueName: "i/n"))
    var shard: String?

    func validate() throws {
        if let shard {
            do {
                _ = try Shard(parsing: shard)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let batchSize {
            guard engine == .server else {
                throw ValidationError("--batch-size sizes the jobs of --engine server; add --engine server or drop it.")
            }
            try Limits.batchSize.check(batchSize, flag: "--batch-size")
        }
    }

    /// Sets the engine and shard on `options`.
    func apply(to options: inout SweepOptions) throws(SweepError) {
        options.engine = engine.engine
        options.serverBatchSize = batchSize ?? Defaults.serverBatchSize
        options.shard = try shard.map { text throws(SweepError) in try Shard(parsing: text) }
    }
}

/// `--engine`.
enum EngineArgument: String, ExpressibleByArgument, CaseIterable {
    case client
    case server

    var engine: SweepOptions.Engine { self == .client ? .client : .server }
}
