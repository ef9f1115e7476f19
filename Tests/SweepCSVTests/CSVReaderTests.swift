import SweepCSV
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
    /// Parses `text` in one chunk, or byte by byte, and returns the records.
    private func read(_ text: String, byteByByte: Bool = false) throws -> [CSVRecord] {
        let reader = CSVReader()
        var records: [CSVRecord] = []
        if byteByByte {
            for byte in text.utf8 { records += try reader.parse([byte]) }
        } else {
            records += try reader.parse(Array(text.utf8))
        }
        return records + (try reader.finish())
    }

    @Test("plain rows, with and without a final newline", arguments: [false, true])
    func plainRows(byteByByte: Bool) throws {
        let records = try read("a,b\nc,d", byteByByte: byteByByte)
        #expect(records == [CSVRecord(fields: ["a", "b"], line: 1), CSVRecord(fields: ["c", "d"], line: 2)])
    }

    @Test("quoted fields keep commas, doubled quotes and newlines", arguments: [false, true])
    func quotedFields(byteByByte: Bool) throws {
        let records = try read("\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,y\n", byteByByte: byteByByte)
        #expect(records.map(\.fields) == [["a,b", "say \"hi\""], ["two\nlines", "x"], ["last", "y"]])
        // The record after a two-line field starts on line 4.
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test("CRLF line ends count one line each", arguments: [false, true])
    func crlf(byteByByte: Bool) throws {
        let records = try read("workflow_id\r\nw1\r\nw2\r\n", byteByByte: byteByByte)
        #expect(
            records == [
                CSVRecord(fields: ["workflow_id"], line: 1), CSVRecord(fields: ["w1"], line: 2),
                CSVRecord(fields: ["w2"], line: 3),
            ])
    }

    @Test("blank lines are skipped but counted")
    func blankLines() throws {
        let records = try read("a\n\n\nb\n")
        #expect(records == [CSVRecord(fields: ["a"], line: 1), CSVRecord(fields: ["b"], line: 4)])
    }

    @Test("a UTF-8 byte order mark is dropped")
    func byteOrderMark() throws {
        let reader = CSVReader()
        let records = try reader.parse([0xEF, 0xBB, 0xBF] + Array("workflow_id\nw1\n".utf8)) + (try reader.finish())
        #expect(records.first?.fields == ["workflow_id"])
    }

    @Test("an empty input has no records")
    func emptyInput() throws {
        #expect(try read("").isEmpty)
    }

    @Test("an unterminated quote is an error naming its line")
    func unterminatedQuote() throws {
        let error = #expect(throws: CSVError.self) { try read("ok\n\"open,never closed\nmore\n") }
        #expect(error?.line == 2)
        #expect(error?.message.contains("unterminated") == true)
    }

    @Test("a stray quote inside an unquoted field is an error")
    func strayQuote() throws {
        let error = #expect(throws: CSVError.self) { try read("good\nbad\"field\n") }
        #expect(error?.line == 2)
    }

    @Test("invalid UTF-8 is an error naming its line")
    func invalidUTF8() throws {
        let reader = CSVReader()
        let error = #expect(throws: CSVError.self) {
            _ = try reader.parse(Array("fine\n".utf8) + [0x66, 0xFF, 0x0A])
        }
        #expect(error?.line == 2)
        #expect(error?.message.contains("UTF-8") == true)
    }

    @Test("a field over the limit is an error")
    func fieldTooLong() throws {
        let reader = CSVReader(maximumFieldLength: 8)
        let error = #expect(throws: CSVError.self) {
            _ = try reader.parse(Array("short\n123456789\n".utf8)) + (try reader.finish())
        }
        #expect(error?.line == 2)
    }
}

@Suite("CSV writer")
struct CSVWriterTests {
    @Test("plain fields stay plain, others are quoted by libcsv")
    func quoting() {
        #expect(CSVWriter.row(["a", "b"]) == "a,b\n")
        #expect(CSVWriter.encode("has,comma") == "\"has,comma\"")
        #expect(CSVWriter.encode("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.encode("two\nlines") == "\"two\nlines\"")
        #expect(CSVWriter.encode(" padded ") == "\" padded \"")
    }

    @Test(
        "what the writer writes, the reader reads back",
        arguments: [
            ["plain", "with,comma", "with \"quotes\"", "multi\nline", "crlf\r\nline", "", "ünïcödé", " spaced "]
        ])
    func roundTrip(fields: [String]) throws {
        let reader = CSVReader()
        let records = try reader.parse(Array(CSVWriter.row(fields).utf8)) + (try reader.finish())
        #expect(records.map(\.fields) == [fields])
    }
}
