import SweepCSV
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
    /// Parses `text` in one chunk, or byte by byte, and returns the records.
    private func read(_ text: String, byteByByte: Bool = false, tracksOffsets: Bool = true) throws -> [CSVRecord] {
        let reader = CSVReader(tracksOffsets: tracksOffsets)
        var records: [CSVRecord] = []
        if byteByByte {
            for byte in text.utf8 { records += try reader.parse([byte]) }
        } else {
            records += try reader.parse(Array(text.utf8))
        }
        return records + (try reader.finish())
    }

    /// Fields and lines only, for comparing with expected records.
    private func plain(_ records: [CSVRecord]) -> [CSVRecord] {
        records.map { CSVRecord(fields: $0.fields, line: $0.line) }
    }

    @Test("plain rows, with and without a final newline", arguments: [false, true])
    func plainRows(byteByByte: Bool) throws {
        let records = try read("a,b\nc,d", byteByByte: byteByByte)
        #expect(plain(records) == [CSVRecord(fields: ["a", "b"], line: 1), CSVRecord(fields: ["c", "d"], line: 2)])
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
            plain(records) == [
                CSVRecord(fields: ["workflow_id"], line: 1), CSVRecord(fields: ["w1"], line: 2),
                CSVRecord(fields: ["w2"], line: 3),
            ])
    }

    @Test("blank lines are skipped but counted")
    func blankLines() throws {
        let records = try read("a\n\n\nb\n")
        #expect(plain(records) == [CSVRecord(fields: ["a"], line: 1), CSVRecord(fields: ["b"], line: 4)])
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

    @Test("each record knows where it ends, and whether a line end completed it", arguments: [false, true])
    func endOffsets(byteByByte: Bool) throws {
        let text = "a,b\n\"two\nlines\",x\nlast"
        let records = try read(text, byteByByte: byteByByte)
        #expect(records.map(\.endOffset) == [4, 18, 22])
        #expect(records.map(\.isTerminated) == [true, true, false])
    }

    @Test(
        "a chunk parsed in one call (no offsets) gives the same records, lines and errors",
        arguments: [
            "a,b\nc,d", "\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,y\n", "workflow_id\r\nw1\r\nw2\r\n",
            "a\n\n\nb\n", "w1\rw2\rw3", "ok\n\"open,never closed\nmore\n", "good\nbad\"field\n",
            "x\n\"a\"b\n", "one\ntwo\n\"three\nand four\"\nfive,\"six\"\n",
        ])
    func withoutOffsets(text: String) throws {
        func outcome(_ tracksOffsets: Bool) -> String {
            do {
                return "\(plain(try read(text, tracksOffsets: tracksOffsets)))"
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome(false) == outcome(true))
        let records = try? read(text, tracksOffsets: false)
        #expect(records.map { $0.allSatisfy { $0.endOffset == text.utf8.count } } ?? true)
    }

    @Test("a quote left open near the top is refused once the field passes the limit, not at the end")
    func openQuoteIsBounded() throws {
        let reader = CSVReader(maximumFieldLength: 1024)
        var fed = 0
        let error = #expect(throws: CSVError.self) {
            _ = try reader.parse(Array("workflow_id\n\"open\n".utf8))
            // Feed 64 KiB chunks of lines; the reader must refuse long before the end.
            let chunk = Array(String(repeating: "w-123456789\n", count: 5000).utf8)
            for _ in 0..<100 {
                fed += 1
                _ = try reader.parse(chunk)
            }
        }
        #expect(error?.line == 2)
        #expect(error?.message.contains("quote") == true)
        #expect(fed == 1)
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
            ["plain", "with,comma", "with \"quotes\"", "multi\nline", "crlf\r\nline", "", "ünïcödé", " spaced "],
            ["trailing tab\t", "\tleading tab", "\t", " \t "],
        ])
    func roundTrip(fields: [String]) throws {
        let reader = CSVReader()
        let records = try reader.parse(Array(CSVWriter.row(fields).utf8)) + (try reader.finish())
        #expect(records.map(\.fields) == [fields])
    }
}
