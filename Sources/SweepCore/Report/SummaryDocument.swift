package import Foundation

/// `--output json`: the summary as one JSON document on standard output, for programs (cron
/// wrappers, CI, dashboards). Its shape is documented in the README ("JSON summary"); a change
/// that removes or renames a field raises ``schemaVersion``.
package struct SummaryDocument: Codable, Sendable, Hashable {
    /// The version of this shape.
    package static let schemaVersion = 1

    package var schemaVersion = SummaryDocument.schemaVersion
    /// `cancel`, `terminate` or `plan`.
    package var command: String
    package var dryRun: Bool
    /// The process's exit code (README, "Exit codes").
    package var exitCode: Int32
    /// `null` when the run ended by itself; else `SIGINT`, `SIGTERM` or `max_duration`.
    package var interruptedBy: String?
    /// Why the run ended early without a signal, or why it never started (nothing sent).
    package var error: String?
    /// Workflows accounted for (one final outcome each) and report rows written.
    package var workflows: Int
    package var reportRows: Int
    /// Final outcomes, every outcome present (zero when none).
    package var outcomes: [String: Int]
    /// Runs still open when `--wait` gave up.
    package var stillOpen: Int
    package var callsSent: Int
    package var retries: Int
    package var elapsedSeconds: Double
    /// Workflows per second over the run.
    package var workflowsPerSecond: Double
    package var callsPerSecond: Double
    package var clientCPUSeconds: Double
    /// Per-workflow latency in milliseconds; `null` when no call was sent.
    package var latencyMilliseconds: LatencySummary?
    /// The report (or plan) path; `-` for standard output; `null` when the run never started.
    package var report: String?
    package var startedAt: String?
    package var finishedAt: String
    /// `--shard`: `"i/n"`, or `null`; and the workflows read that fell to other shards.
    package var shard: String?
    package var otherShards: Int
    /// `--engine server`: the batch job IDs started (empty for the client engine).
    package var batchJobs: [String]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case command
        case dryRun = "dry_run"
        case exitCode = "exit_code"
        case interruptedBy = "interrupted_by"
        case error
        case workflows
        case reportRows = "report_rows"
        case outcomes
        case stillOpen = "still_open"
        case callsSent = "calls_sent"
        case retries
        case elapsedSeconds = "elapsed_seconds"
        case workflowsPerSecond = "workflows_per_second"
        case callsPerSecond = "calls_per_second"
        case clientCPUSeconds = "client_cpu_seconds"
        case latencyMilliseconds = "latency_ms"
        case report
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case shard
        case otherShards = "other_shards"
        case batchJobs = "batch_jobs"
    }

    /// Every field is written, `null` included, so that the shape does not depend on the run.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(command, forKey: .command)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(interruptedBy, forKey: .interruptedBy)
        try container.encode(error, forKey: .error)
        try container.encode(workflows, forKey: .workflows)
        try container.encode(reportRows, forKey: .reportRows)
        try container.encode(outcomes, forKey: .outcomes)
        try container.encode(stillOpen, forKey: .stillOpen)
        try container.encode(callsSent, forKey: .callsSent)
        try container.encode(retries, forKey: .retries)
        try container.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try container.encode(workflowsPerSecond, forKey: .workflowsPerSecond)
        try container.encode(callsPerSecond, forKey: .callsPerSecond)
        try container.encode(clientCPUSeconds, forKey: .clientCPUSeconds)
        try container.encode(latencyMilliseconds, forKey: .latencyMilliseconds)
        try container.encode(report, forKey: .report)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(shard, forKey: .shard)
        try container.encode(otherShards, forKey: .otherShards)
        try container.encode(batchJobs, forKey: .batchJobs)
    }

    /// The document of a run that ran (to its end or not).
    package init(_ summary: Summary, finishedAt: Date = Date()) {
        command = summary.isPlan ? "plan" : summary.action?.rawValue ?? "plan"
        dryRun = summary.dryRun
        exitCode = summary.exitCode
        interruptedBy =
            switch summary.interruptedBy {
            case SIGINT?: "SIGINT"
            case SIGTERM?: "SIGTERM"
            case let other?: "signal \(other)"
            case nil: summary.stoppedAtDeadline ? "max_duration" : nil
            }
        error = summary.failure?.message
        workflows = summary.tally.workflows
        reportRows = summary.tally.rows
        outcomes = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0.rawValue, summary.tally[$0]) })
        stillOpen = summary.stillOpen
        callsSent = summary.tally.callsSent
        retries = summary.retries
        elapsedSeconds = summary.elapsed.inSeconds
        workflowsPerSecond = summary.elapsed > .zero ? Double(summary.tally.workflows) / summary.elapsed.inSeconds : 0
        callsPerSecond = summary.callsPerSecond
        clientCPUSeconds = summary.clientCPU.inSeconds
        latencyMilliseconds = summary.latency
        report = summary.reportPath
        startedAt = summary.startedAt.map(ReportFormat.timestamp)
        self.finishedAt = ReportFormat.timestamp(finishedAt)
        shard = summary.shard?.description
        otherShards = summary.otherShards
        batchJobs = summary.batchJobs
    }

    /// The document of a run refused before anything was sent (usage, guards, connection).
    package init(command: String, dryRun: Bool, refusal: SweepError, finishedAt: Date = Date()) {
        self.command = command
        self.dryRun = dryRun
        exitCode = refusal.code.exitCode
        interruptedBy = nil
        error = refusal.message
        workflows = 0
        reportRows = 0
        outcomes = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0.rawValue, 0) })
        stillOpen = 0
        callsSent = 0
        retries = 0
        elapsedSeconds = 0
        workflowsPerSecond = 0
        callsPerSecond = 0
        clientCPUSeconds = 0
        latencyMilliseconds = nil
        report = nil
        startedAt = nil
        self.finishedAt = ReportFormat.timestamp(finishedAt)
        shard = nil
        otherShards = 0
        batchJobs = []
    }

    /// The document as one line of JSON, keys sorted.
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
