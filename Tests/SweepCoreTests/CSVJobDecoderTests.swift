import SweepCSV
import SweepCore
import Testing

@Suite("CSV job decoder")
struct CSVJobDecoderTests {
    private func decode(_ rows: [[String]]) throws -> [Job] {
        var decoder = CSVJobDecoder()
        return try rows.enumerated().compactMap { index, fields in
            try decoder.decode(CSVRecord(fields: fields, line: index + 1))
        }
    }

    @Test("a header names the columns, in any order and case; other columns are ignored")
    func header() throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"
        let jobs = try decode([["note", "Run_ID", "WORKFLOW_ID"], ["x", run, "w1"], ["y", "", "w2"]])
        #expect(
            jobs.map(\.target) == [WorkflowTarget(workflowID: "w1", runID: run), WorkflowTarget(workflowID: "w2")])
        #expect(jobs.map(\.line) == [2, 3])
    }

    @Test("without a header, one column of IDs")
    func singleColumn() throws {
        let jobs = try decode([["w1"], ["w2"]])
        #expect(jobs.map(\.target.workflowID) == ["w1", "w2"])
    }

    @Test("without a header, two columns are refused with a hint")
    func twoColumnsWithoutHeader() {
        let error = #expect(throws: CSVError.self) { try decode([["w1", "r1"]]) }
        #expect(error?.message.contains("header") == true)
    }

    @Test("an empty workflow_id is refused with its line")
    func emptyID() {
        let error = #expect(throws: CSVError.self) { try decode([["workflow_id"], ["w1"], ["  "]]) }
        #expect(error?.line == 3)
    }

    @Test("a row narrower or wider than the header is refused")
    func ragged() {
        #expect(throws: CSVError.self) { try decode([["workflow_id", "run_id"], ["w1"]]) }
        #expect(throws: CSVError.self) { try decode([["workflow_id"], ["w1", "extra"]]) }
    }
}

@Suite("CSV job decoder: bad input")
struct CSVJobDecoderBadInputTests {
    @Test(
        "a header naming the IDs another way is refused, not read as an ID",
        arguments: ["id", "wid", "Workflow"])
    func lookalikeHeader(name: String) {
        var decoder = CSVJobDecoder()
        let error = #expect(throws: CSVError.self) { try decoder.decode(CSVRecord(fields: [name], line: 1)) }
        #expect(error?.message.contains("workflow_id") == true)
    }

    @Test("an ID over Temporal's 1,000-byte limit is refused")
    func tooLong() {
        var decoder = CSVJobDecoder()
        let error = #expect(throws: CSVError.self) {
            try decoder.decode(CSVRecord(fields: [String(repeating: "x", count: 1001)], line: 7))
        }
        #expect(error?.line == 7)
        #expect(error?.message.contains("1000") == true)
    }
}

@Suite("CSV job decoder: what people export")
struct CSVJobDecoderExportTests {
    private func decode(_ rows: [[String]]) throws -> [Job] {
        var decoder = CSVJobDecoder()
        return try rows.enumerated().compactMap { index, fields in
            try decoder.decode(CSVRecord(fields: fields, line: index + 1))
        }
    }

    @Test(
        "the Temporal CLI's and UI's header spellings name the ID column",
        arguments: ["WorkflowId", "workflowId", "Workflow ID", "workflow-id", "WORKFLOW_ID"])
    func headerSpellings(name: String) throws {
        let jobs = try decode([[name, "Run ID"], ["w1", ""], ["w2", ""]])
        #expect(jobs.map(\.target.workflowID) == ["w1", "w2"])
    }

    @Test(
        "a header separated by ';', tabs or '|' is refused, not sent as an ID",
        arguments: ["workflow_id;run_id", "workflow_id\trun_id", "WorkflowId|RunId"])
    func otherSeparators(header: String) {
        let error = #expect(throws: CSVError.self) { try decode([[header], ["w1;r1"]]) }
        #expect(error?.line == 1)
        #expect(error?.message.contains("comma") == true)
    }

    @Test("the table `temporal workflow list` prints is refused")
    func cliTable() {
        let error = #expect(throws: CSVError.self) {
            try decode([["  Status   WorkflowId   Type   StartTime"], ["  Running  w1  T  1 minute ago"]])
        }
        #expect(error?.message.contains("temporal workflow list") == true)
    }

    @Test(
        "NUL bytes (UTF-16 read as UTF-8) and control characters in an ID are refused with the line",
        arguments: [
            ("w\u{0}1\u{0}", "UTF-16"), ("w1\u{1B}[2J", "U+001B"), ("two\nlines", "U+000A"), ("del\u{7F}", "U+007F"),
        ])
    func controlCharacters(id: String, mentions: String) {
        let error = #expect(throws: CSVError.self) { try decode([["workflow_id"], ["ok"], [id]]) }
        #expect(error?.line == 3)
        #expect(error?.message.contains(mentions) == true)
    }

    @Test("a run_id that is not a UUID is refused up front")
    func malformedRunID() {
        let error = #expect(throws: CSVError.self) { try decode([["workflow_id", "run_id"], ["w1", "not-a-run"]]) }
        #expect(error?.line == 2)
        #expect(error?.message.contains("UUID") == true)
    }

    @Test(
        "a plan or report sweep wrote gives back exactly the IDs it stands for; other CSVs are taken literally",
        arguments: ["+15551234", "=x", "'quoted", "-1", "@at", "plain"])
    func sweepFilesRoundTrip(id: String) throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"
        let plan = [PlanWriter.columns, [ReportFormat.neutralize(id), run, "T", "Running", "", ""]]
        #expect(try decode(plan).map(\.target) == [WorkflowTarget(workflowID: id, runID: run)])
        let report = [
            ReportFormat.columns, [ReportFormat.neutralize(id), run, "terminate", "failed", "", "", "1", "0", "", ""],
        ]
        #expect(try decode(report).map(\.target.workflowID) == [id])
        #expect(try decode([["workflow_id"], ["'" + id]]).map(\.target.workflowID) == ["'" + id])
    }
}

extension CSVJobDecoderTests {
    @Test("a report given as input yields its workflows, not the rows that record its runs")
    func reportRunRowsAreNotJobs() throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"
        let started = ["", "", "terminate", RunProvenance.outcome, "", "namespace=default address=h:1", "", "", "", ""]
        let report = [
            ReportFormat.columns, started, ["w1", run, "terminate", "failed", "", "", "1", "0", "", ""], started,
        ]
        #expect(try decode(report).map(\.target) == [WorkflowTarget(workflowID: "w1", runID: run)])
        // In a CSV sweep did not write, an empty ID is refused as ever.
        #expect(throws: CSVError.self) { try decode([["workflow_id", "outcome"], ["", RunProvenance.outcome]]) }
    }
}
