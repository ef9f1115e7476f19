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
        let jobs = try decode([["note", "Run_ID", "WORKFLOW_ID"], ["x", "r1", "w1"], ["y", "", "w2"]])
        #expect(
            jobs.map(\.target) == [WorkflowTarget(workflowID: "w1", runID: "r1"), WorkflowTarget(workflowID: "w2")])
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
        arguments: ["id", "WorkflowId", "workflow id"])
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
