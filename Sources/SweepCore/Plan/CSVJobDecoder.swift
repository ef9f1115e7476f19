package import SweepCSV

/// Turns CSV records into jobs: detects the header, finds the columns, checks each row.
///
/// Accepted layouts: a header row naming `workflow_id` (any case, any position) and optionally
/// `run_id`, other columns ignored; or no header and exactly one column of workflow IDs.
package struct CSVJobDecoder: Sendable {
    private enum Layout: Sendable {
        case undecided
        case header(workflowID: Int, runID: Int?, firstRunID: Int?, width: Int)
        case singleColumn
    }

    private var layout = Layout.undecided
    private let requiresRunIDColumn: Bool

    /// - Parameter requiresRunIDColumn: a plan must name `run_id` (the runs that were reviewed).
    package init(requiresRunIDColumn: Bool = false) {
        self.requiresRunIDColumn = requiresRunIDColumn
    }

    /// - Returns: the record's job, or `nil` for the header row.
    /// - Throws: ``CSVError`` naming the record's line and what to fix.
    package mutating func decode(_ record: CSVRecord) throws(CSVError) -> Job? {
        switch layout {
        case .undecided:
            let names = record.fields.map { $0.trimmingSpaces.lowercased() }
            if let workflowID = names.firstIndex(of: "workflow_id") {
                let runID = names.firstIndex(of: "run_id")
                if requiresRunIDColumn, runID == nil {
                    throw CSVError(
                        line: record.line,
                        message: "not a plan: the header has no run_id column; write one with sweep plan")
                }
                layout = .header(
                    workflowID: workflowID, runID: runID, firstRunID: names.firstIndex(of: "first_run_id"),
                    width: names.count)
                return nil
            }
            if requiresRunIDColumn {
                throw CSVError(
                    line: record.line,
                    message:
                        "not a plan: the first line should be the header workflow_id,run_id,...; write one with sweep plan"
                )
            }
            // A header that names the IDs some other way would otherwise be read as a workflow ID.
            if let near = names.first(where: Self.lookalikeHeaders.contains) {
                throw CSVError(
                    line: record.line,
                    message: "missing workflow_id column: the header names '\(near)'; rename that column workflow_id")
            }
            layout = .singleColumn
            return try decode(record)
        case .singleColumn:
            guard record.fields.count == 1 else {
                throw CSVError(
                    line: record.line,
                    message:
                        "expected one column of workflow IDs but found \(record.fields.count); add a header row naming workflow_id (and run_id)"
                )
            }
            return Job(
                target: WorkflowTarget(workflowID: try Self.workflowID(record.fields[0], line: record.line)),
                line: record.line)
        case .header(let workflowIDColumn, let runIDColumn, let firstRunIDColumn, let width):
            guard record.fields.count == width else {
                throw CSVError(
                    line: record.line,
                    message: "expected \(width) fields as in the header but found \(record.fields.count)"
                )
            }
            let workflowID = try Self.workflowID(record.fields[workflowIDColumn], line: record.line)
            let runID = runIDColumn.map { record.fields[$0].trimmingSpaces }
            let firstRunID = firstRunIDColumn.map { record.fields[$0].trimmingSpaces }.flatMap { $0.isEmpty ? nil : $0 }
            return Job(
                target: WorkflowTarget(workflowID: workflowID, runID: runID), line: record.line, firstRunID: firstRunID)
        }
    }

    /// Header names that mean "workflow ID" to a person but not to sweep.
    static let lookalikeHeaders: Set<String> = ["workflowid", "workflow id", "workflow-id", "id", "wid", "workflow"]

    /// Temporal's default limit on a workflow ID's length (the server's limit.maxIDLength).
    package static let maximumWorkflowIDLength = 1000

    private static func workflowID(_ field: String, line: Int) throws(CSVError) -> String {
        guard !field.trimmingSpaces.isEmpty else {
            throw CSVError(line: line, message: "empty workflow_id")
        }
        guard field.utf8.count <= maximumWorkflowIDLength else {
            throw CSVError(
                line: line,
                message: "workflow_id is \(field.utf8.count) bytes, over Temporal's limit of \(maximumWorkflowIDLength)"
            )
        }
        return field
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}
