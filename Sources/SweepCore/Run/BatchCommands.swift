import Foundation
import SweepGRPC

/// `sweep batch list | describe | stop`: the namespace's batch jobs (sweep's `--engine server`
/// jobs, the Temporal CLI's, anyone's), over the same connection settings as a sweep.
package enum BatchCommands {
    /// The namespace's batch jobs, newest first, at most `limit`.
    package static func list(_ connection: ConnectionOptions, limit: Int) async throws(SweepError) -> [BatchJob] {
        try await calling(connection, what: "the batch jobs") { client async throws(RPCError) in
            var jobs: [BatchJob] = []
            var token: [UInt8] = []
            repeat {
                let page = try await client.listBatches(pageSize: min(1000, limit - jobs.count), pageToken: token)
                jobs += page.jobs.prefix(limit - jobs.count)
                token = page.next
            } while !token.isEmpty && jobs.count < limit
            return jobs
        }
    }

    package static func describe(_ connection: ConnectionOptions, jobID: String) async throws(SweepError) -> BatchJob {
        try await calling(connection, what: "batch job \(jobID)") { client async throws(RPCError) in
            try await client.describeBatch(jobID: jobID)
        }
    }

    /// Stops a running job; one that has already ended is left as it is.
    /// - Returns: the job as it stands after the stop, and whether it had already ended.
    package static func stop(_ connection: ConnectionOptions, jobID: String, reason: String) async throws(SweepError)
        -> (job: BatchJob, alreadyEnded: Bool)
    {
        // How far the stop got, for a connection failure's message: "nothing was sent" holds
        // only before the stop was started.
        var stop = StopProgress.notSent
        do {
            return try await calling(connection, what: "batch job \(jobID)") { client async throws(RPCError) in
                var alreadyEnded = false
                do throws(RPCError) {
                    stop = .sent
                    try await client.stopBatch(jobID: jobID, reason: reason)
                    stop = .accepted
                } catch {
                    guard error.code == .notFound, error.message.lowercased().contains("already completed") else {
                        throw error
                    }
                    alreadyEnded = true
                }
                return (try await client.describeBatch(jobID: jobID), alreadyEnded)
            }
        } catch  where stop == .accepted || (stop == .sent && Self.mayHaveLanded(error)) {
            let status = (error.cause as? RPCError).map { "\($0)" } ?? error.message
            let what =
                stop == .accepted
                ? "the server accepted the stop, but describing the job then failed"
                : "the stop was sent but no answer came: it may have landed"
            throw SweepError(
                .unreachable,
                "\(what) (\(status)); see where job \(jobID) stands with sweep batch describe \(jobID)",
                cause: error.cause)
        }
    }

    /// A call that timed out or lost its connection may have reached the server: "nothing was
    /// sent" would be a guess. (A refused credential or handshake is said as ConnectionFailure says it.)
    private static func mayHaveLanded(_ error: SweepError) -> Bool {
        guard error.code == .unreachable, let cause = error.cause as? RPCError else { return false }
        return cause.code == .deadlineExceeded || cause.code == .unavailable
    }

    private enum StopProgress { case notSent, sent, accepted }

    /// An aligned table for a terminal: job ID, operation, state, start, close, and the counts
    /// when the server gave them (a listing does not).
    package static func table(_ jobs: [BatchJob]) -> String {
        let withCounts = jobs.contains { $0.total > 0 || $0.complete > 0 || $0.failure > 0 }
        var rows = [
            ["JOB ID", "OPERATION", "STATE", "STARTED", "CLOSED"] + (withCounts ? ["DONE", "FAILED", "TOTAL"] : [])
        ]
        for job in jobs {
            rows.append(
                [
                    job.jobID.escapedForTerminal, job.operation, job.state.rawValue,
                    job.startTime.map(ReportFormat.timestamp) ?? "", job.closeTime.map(ReportFormat.timestamp) ?? "",
                ] + (withCounts ? [String(job.complete), String(job.failure), String(job.total)] : []))
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingSpaces
        }.joined(separator: "\n")
    }

    /// A job as a listing knows it (ListBatchOperations carries no counts, identity or reason).
    package struct Listed: Encodable, Sendable {
        var jobID: String
        var operation: String
        var state: BatchJob.State
        var startTime: Date?
        var closeTime: Date?

        package init(_ job: BatchJob) {
            jobID = job.jobID
            operation = job.operation
            state = job.state
            startTime = job.startTime
            closeTime = job.closeTime
        }
    }

    /// The same as JSON for programs: snake_case keys, times in ISO 8601 (UTC).
    package static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ReportFormat.timestamp(date))
        }
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func calling<T: Sendable>(
        _ connection: ConnectionOptions, what: String, _ body: (WorkflowServiceClient) async throws(RPCError) -> T
    ) async throws(SweepError) -> T {
        do {
            return try await withWorkflowServiceClient(connection) { client in
                do throws(RPCError) {
                    return try await body(client)
                } catch {
                    switch error.code {
                    case .unavailable, .deadlineExceeded, .unauthenticated:
                        throw ConnectionFailure.error(error, options: connection)
                    case .notFound:
                        throw SweepError(
                            .usage, "no \(what) in namespace \(connection.namespace) (\(error.message))", cause: error)
                    default:
                        throw Planner.planningError(error, what: what)
                    }
                }
            }
        } catch let error as SweepError {
            throw error
        } catch {
            throw SweepError(.server, "\(error)")
        }
    }
}
