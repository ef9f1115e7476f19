import Foundation
package import SweepCSV

/// Turns CSV records into jobs: detects the header, finds the columns, checks each row.
///
/// Accepted layouts: a header row naming the workflow ID column (`workflow_id`, or the Temporal
/// CLI's and UI's `WorkflowId`, `workflowId`, `Workflow ID`; any case, any position) and
/// optionally `run_id` (`RunId`, `Run ID`), other columns ignored; or no header and exactly one
/// column of workflow IDs.
///
/// Refused with the line and what to do, because each would otherwise be sent as workflow IDs and
/// end `not_found`: a header separated by `;`, tabs or `|`; the table `temporal workflow list`
/// prints; control characters or NUL bytes in an ID (a UTF-16 file reads as NULs); a `run_id` that
/// is not a UUID.
///
/// Files sweep writes (a plan, a report) are recognised by their exact header, and the leading `'`
/// that protects cells from spreadsheet formulas is removed, so that each ID reads back exactly.
/// Any other CSV is taken literally.
package struct CSVJobDecoder: Sendable {
    private enum Layout: Sendable {
        case undecided
        case header(workflowID: Int, runID: Int?, firstRunID: Int?, width: Int, writtenBySweep: Bool)
        case singleColumn
    }

    private var layout = Layout.undecided
    private let requiresRunIDColumn: Bool

    /// - Parameter requiresRunIDColumn: a plan must name `run_id` (the runs that were reviewed).
    package init(requiresRunIDColumn: Bool = false) {
        self.requiresRunIDColumn = requiresRunIDColumn
    }

    /// - Returns: the record's job, or `nil` for the header row (or a report's row that records a
    ///   run).
    /// - Throws: ``CSVError`` naming the record's line and what to fix.
    package mutating func decode(_ record: CSVRecord) throws(CSVError) -> Job? {
        switch layout {
        case .undecided:
            let names = record.fields.map(Self.columnName)
            if let workflowID = names.firstIndex(of: "workflowid") {
                let runID = names.firstIndex(of: "runid")
                if requiresRunIDColumn, runID == nil {
                    throw CSVError(
                        line: record.line,
                        message: "not a plan: the header has no run_id column; write one with sweep plan")
                }
                layout = .header(
                    workflowID: workflowID, runID: runID, firstRunID: names.firstIndex(of: "firstrunid"),
                    width: names.count, writtenBySweep: Self.sweepHeaders.contains(record.fields))
                return nil
            }
            if requiresRunIDColumn {
                throw CSVError(
                    line: record.line,
                    message:
                        "not a plan: the first line should be the header workflow_id,run_id,...; write one with sweep plan"
                )
            }
            try Self.refuseHeaderLookalike(record)
            layout = .singleColumn
            return try decode(record)
        case .singleColumn:
            guard record.count == 1 else {
                throw CSVError(
                    line: record.line,
                    message:
                        "expected one column of workflow IDs but found \(record.count); add a header row naming workflow_id (and run_id)"
                )
            }
            return Job(
                target: WorkflowTarget(workflowID: try Self.workflowID(record[0], line: record.line)),
                line: record.line)
        case .header(let workflowIDColumn, let runIDColumn, let firstRunIDColumn, let width, let writtenBySweep):
            guard record.count == width else {
                throw CSVError(
                    line: record.line,
                    message: "expected \(width) fields as in the header but found \(record.count)"
                )
            }
            let cell = { (column: Int) in
                writtenBySweep ? ReportFormat.restore(record[column]) : record[column]
            }
            // A report's row that records a run names no workflow.
            if writtenBySweep, width == ReportFormat.columns.count,
                RunProvenance.isProvenance(workflowID: record[0], outcome: record[3])
            {
                return nil
            }
            // An ID in sweep's own plan or report came from the server or was checked when it was
            // read: whatever its bytes, it is read back as written.
            let workflowID = try Self.workflowID(
                cell(workflowIDColumn), line: record.line, checkCharacters: !writtenBySweep)
            let runID = try runIDColumn.map { column throws(CSVError) in
                try Self.runID(cell(column).trimmingSpaces, line: record.line, column: "run_id")
            }
            let firstRunID = try firstRunIDColumn.map { column throws(CSVError) in
                try Self.runID(cell(column).trimmingSpaces, line: record.line, column: "first_run_id")
            }.flatMap { $0.isEmpty ? nil : $0 }
            return Job(
                target: WorkflowTarget(workflowID: workflowID, runID: runID), line: record.line, firstRunID: firstRunID)
        }
    }

    /// The headers of the files sweep writes, whose cells it neutralised for spreadsheets.
    static let sweepHeaders: Set<[String]> = [PlanWriter.columns, ReportFormat.columns]

    /// A header cell reduced to compare spellings: `workflow_id`, `WorkflowId`, `Workflow ID` and
    /// `workflow-id` all become `workflowid`.
    static func columnName(_ cell: String) -> String {
        String(cell.trimmingSpaces.lowercased().unicodeScalars.filter { !" _-".unicodeScalars.contains($0) })
    }

    /// Header names that mean "workflow ID" to a person but not to sweep.
    static let lookalikeHeaders: Set<String> = ["id", "wid", "workflow", "workflowids", "execution"]

    /// A first line that is a header of some other shape, which would otherwise be read as an ID.
    private static func refuseHeaderLookalike(_ record: CSVRecord) throws(CSVError) {
        let cell = record[0]
        let name = columnName(cell)
        if lookalikeHeaders.contains(name) {
            throw CSVError(
                line: record.line,
                message: "missing workflow_id column: the header names '\(cell)'; rename that column workflow_id")
        }
        for separator in [";", "\t", "|"] where cell.contains(separator) {
            let names = cell.components(separatedBy: separator).map(columnName)
            if names.contains("workflowid") {
                let shown = separator == "\t" ? "tabs" : "'\(separator)'"
                throw CSVError(
                    line: record.line,
                    message:
                        "the header is separated by \(shown), not commas; save the file as comma-separated CSV (or give one workflow ID per line, no header)"
                )
            }
        }
        let words = cell.split(whereSeparator: \.isWhitespace).map { columnName(String($0)) }
        if words.count > 1, words.contains("workflowid") {
            throw CSVError(
                line: record.line,
                message:
                    "this looks like the table `temporal workflow list` prints, not a CSV of workflow IDs; give sweep the same query with --query, or one workflow ID per line"
            )
        }
    }

    /// Temporal's default limit on a workflow ID's length (the server's limit.maxIDLength).
    package static let maximumWorkflowIDLength = 1000

    private static func workflowID(_ field: String, line: Int, checkCharacters: Bool = true) throws(CSVError)
        -> String
    {
        // Most IDs are printable ASCII: one look at their bytes settles every check below.
        var field = field
        let isPrintableASCII = field.withUTF8 { bytes in bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
        let startsPrintable = field.utf8.first.map { $0 > 0x20 && $0 < 0x7F } ?? false
        guard startsPrintable || !field.trimmingSpaces.isEmpty else {
            throw CSVError(line: line, message: "empty workflow_id")
        }
        guard field.utf8.count <= maximumWorkflowIDLength else {
            throw CSVError(
                line: line,
                message: "workflow_id is \(field.utf8.count) bytes, over Temporal's limit of \(maximumWorkflowIDLength)"
            )
        }
        guard checkCharacters, !isPrintableASCII else { return field }
        if field.unicodeScalars.contains("\u{0}") {
            throw CSVError(
                line: line,
                message:
                    "workflow_id contains NUL bytes: the file looks like UTF-16 (a spreadsheet's 'Unicode text'); save it as CSV UTF-8"
            )
        }
        if let control = field.unicodeScalars.first(where: \.isControlCharacter) {
            throw CSVError(
                line: line,
                message:
                    "workflow_id contains the control character U+\(String(format: "%04X", control.value)); remove it, or select such workflows with --query or --workflow-id"
            )
        }
        return field
    }

    /// An empty run ID (no run pinned) or a UUID, as Temporal's run IDs are; anything else would be
    /// refused by the server mid-run.
    private static func runID(_ field: String, line: Int, column: String) throws(CSVError) -> String {
        guard field.isEmpty || UUID(uuidString: field) != nil else {
            throw CSVError(
                line: line,
                message:
                    "\(column) '\(field.escapedForTerminal.prefix(60))' is not a run ID (a UUID such as 4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b); fix it or leave it empty"
            )
        }
        return field
    }
}
