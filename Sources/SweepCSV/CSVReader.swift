internal import CLibCSV

/// A streaming, strict RFC 4180 reader on libcsv: feed it chunks of bytes as they arrive and it
/// returns the records completed so far. Memory stays bounded by the longest record.
///
/// Accepts LF and CRLF line ends, quoted fields with embedded commas, quotes and newlines, and a
/// leading UTF-8 byte order mark. Blank lines are skipped. Rejects, with the line number:
/// a stray or unterminated quote, invalid UTF-8, a field longer than `maximumFieldLength` bytes
/// (checked as the field grows, so a quote left open near the top of a large file costs at most
/// the limit plus one chunk of memory, not the rest of the file).
///
/// Each record carries the byte offset where it ends, so that a journal torn by a crash can be
/// cut back to its last whole record (unless `tracksOffsets` is off: a million-line input is
/// parsed several times faster a chunk per call than a line per call).
package final class CSVReader {
    private let parser: UnsafeMutablePointer<csv_parser>
    private let maximumFieldLength: Int
    private let tracksOffsets: Bool
    /// The record being read: its first field, the others, and how many.
    private var firstField = ""
    private var otherFields: [String] = []
    private var fieldCount = 0
    private var completed: [CSVRecord] = []
    private var line = 1
    private var recordLine = 1
    private var newlinesInRecord = 0
    private var lastTerminatorWasCR = false
    private var sawFirstBytes = false
    private var pendingError: CSVError?
    /// Bytes handed to libcsv so far (a skipped byte order mark included).
    private var offset = 0
    /// Set once the input has ended: a record completed now had no line end.
    private var finishing = false
    /// Where the piece being parsed ends, in the whole input.
    private var pieceEnd = 0

    /// - Parameters:
    ///   - maximumFieldLength: the longest field accepted, in bytes.
    ///   - tracksOffsets: each record's ``CSVRecord/endOffset`` is exact; off, it is where the
    ///     chunk that completed the record ends.
    package init(maximumFieldLength: Int = 64 * 1024, tracksOffsets: Bool = true) {
        self.maximumFieldLength = maximumFieldLength
        self.tracksOffsets = tracksOffsets
        parser = .allocate(capacity: 1)
        // Strict quoting, an error for a quote left open at the end, and a callback for every
        // unquoted CR and LF so that line numbers stay exact.
        csv_init(parser, UInt8(CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL))
    }

    deinit {
        csv_free(parser)
        parser.deallocate()
    }

    /// Parses the next chunk.
    /// - Returns: the records that this chunk completed, in order.
    /// - Throws: ``CSVError`` naming the line of the offending record; the reader is unusable after.
    package func parse(_ bytes: some Collection<UInt8>) throws(CSVError) -> [CSVRecord] {
        var chunk = Array(bytes)
        if !sawFirstBytes, !chunk.isEmpty {
            sawFirstBytes = true
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) {
                chunk.removeFirst(3)
                offset += 3
            }
        }
        // One piece per line end, so that every record completed by a piece ends at the piece's
        // end (its offset is exact) and a field that grows past the limit is caught within a line;
        // without offsets, the chunk is one piece (a field is caught within a chunk).
        var start = chunk.startIndex
        while start < chunk.endIndex {
            let end =
                tracksOffsets ? chunk[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? chunk.endIndex : chunk.endIndex
            pieceEnd = offset + (end - start)
            let consumed = withCallbacks { context in
                chunk[start..<end].withUnsafeBytes { buffer in
                    csv_parse(parser, buffer.baseAddress, buffer.count, Self.onField, Self.onRecordEnd, context)
                }
            }
            offset += consumed
            try throwIfFailed(consumed: consumed, of: end - start)
            if parser.pointee.entry_pos > maximumFieldLength {
                throw CSVError(
                    line: recordLine,
                    message:
                        "field \(fieldCount + 1) is over the limit of \(maximumFieldLength) bytes (a quote left open?); close the quote"
                )
            }
            start = end
        }
        return takeCompleted()
    }

    /// Ends the input: completes a last record without a trailing newline.
    /// - Throws: ``CSVError`` for a quote left open at the end of the input.
    package func finish() throws(CSVError) -> [CSVRecord] {
        finishing = true
        pieceEnd = offset
        let result = withCallbacks { context in
            csv_fini(parser, Self.onField, Self.onRecordEnd, context)
        }
        if let pendingError { throw pendingError }
        if result != 0 {
            throw CSVError(line: recordLine, message: "unterminated quoted field; close the quote")
        }
        return takeCompleted()
    }

    // MARK: - libcsv callbacks

    private func withCallbacks<R>(_ body: (UnsafeMutableRawPointer) -> R) -> R {
        body(Unmanaged.passUnretained(self).toOpaque())
    }

    private static let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = {
        bytes, length, context in
        guard let context else { return }
        let reader = Unmanaged<CSVReader>.fromOpaque(context).takeUnretainedValue()
        let buffer = UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : length)
        reader.appendField(buffer)
    }

    private static let onRecordEnd: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { terminator, context in
        guard let context else { return }
        Unmanaged<CSVReader>.fromOpaque(context).takeUnretainedValue().endRecord(terminator: terminator)
    }

    private func appendField(_ bytes: UnsafeRawBufferPointer) {
        guard pendingError == nil else { return }
        if fieldCount == 0 { recordLine = line }
        if bytes.count > maximumFieldLength {
            pendingError = CSVError(
                line: line,
                message: "field \(fieldCount + 1) is \(bytes.count) bytes, over the limit of \(maximumFieldLength)"
            )
            return
        }
        // One pass for line ends and non-ASCII bytes: ASCII needs no UTF-8 validation.
        var newlines = 0
        var isASCII = true
        for byte in bytes {
            if byte == 0x0A { newlines += 1 }
            if byte >= 0x80 { isASCII = false }
        }
        newlinesInRecord += newlines
        let field: String
        if isASCII {
            field = String(decoding: bytes, as: UTF8.self)
        } else if let valid = String(validating: bytes, as: UTF8.self) {
            field = valid
        } else {
            pendingError = CSVError(line: line, message: "field \(fieldCount + 1) is not valid UTF-8")
            return
        }
        if fieldCount == 0 {
            firstField = field
        } else {
            otherFields.append(field)
        }
        fieldCount += 1
    }

    private func endRecord(terminator: Int32) {
        guard pendingError == nil else { return }
        // With CSV_REPALL_NL, CRLF arrives as CR (ending the record) and then LF (an empty record).
        let isLF = terminator == 0x0A
        let continuesCRLF = isLF && lastTerminatorWasCR && fieldCount == 0
        lastTerminatorWasCR = terminator == 0x0D
        if fieldCount > 0 {
            // Within a piece, the only line end is its last byte: the record ends there (a lone CR
            // ending a record mid-piece is given the piece's end, which is where its line ends).
            completed.append(
                CSVRecord(
                    first: firstField, rest: otherFields, count: fieldCount, line: recordLine, endOffset: pieceEnd,
                    isTerminated: !finishing))
            if !otherFields.isEmpty { otherFields = [] }
            firstField = ""
            fieldCount = 0
        }
        if !continuesCRLF, terminator >= 0 {
            line += 1 + newlinesInRecord
        } else {
            line += newlinesInRecord
        }
        newlinesInRecord = 0
        recordLine = line
    }

    private func throwIfFailed(consumed: Int, of total: Int) throws(CSVError) {
        if let pendingError { throw pendingError }
        if consumed != total {
            let reason =
                csv_error(parser) == CSV_EPARSE
                ? "malformed quoted field (a quote inside an unquoted field, or text after a closing quote); quote the whole field and double inner quotes"
                : String(cString: csv_strerror(csv_error(parser)))
            throw CSVError(line: line, message: reason)
        }
    }

    private func takeCompleted() -> [CSVRecord] {
        defer { completed.removeAll(keepingCapacity: true) }
        return completed
    }
}
