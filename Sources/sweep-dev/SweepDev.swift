import ArgumentParser
import SweepCore
import SweepTestSupport

/// Development helpers for the demo, the tests and the benchmarks. Not part of the product.
@main
struct SweepDev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-dev",
        abstract: "Development helpers for temporal-sweep (not shipped).",
        subcommands: [Seed.self]
    )
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start N workflows of a type (with no worker, so they stay Running).")

    @Option var address = "127.0.0.1:7233"
    @Option var namespace = "default"
    @Option var type = "OrderSaga"
    @Option(name: .customLong("id-prefix")) var idPrefix = "order"
    @Option(name: .customLong("task-queue")) var taskQueue = "sweep-demo"
    @Option var count = 20
    @Option var concurrency = 8

    func run() async throws {
        let options = ConnectionOptions(address: address, namespace: namespace)
        let started = try await withWorkflowServiceClient(options) { client in
            try await Seeder(client: client).start(
                count: count, type: type, idPrefix: idPrefix, taskQueue: taskQueue, concurrency: concurrency
            )
        }
        print("started \(started.count) \(type) workflows (\(idPrefix)-1 ... \(idPrefix)-\(count))")
    }
}
