internal import CLibCSV

/// A streaming, strict RFC 4180 reader on libcsv: feed it chunks of bytes as they arrive and it
/// returns the records completed so far. Memory stays bounded by the longest record.
///
/// Accepts LF and CRLF line ends, quoted fields with embedded commas, quotes and newlines, and a
/// leading UTF-8 byte order mark. Blank lines are skipped. Rejects, with the line number:
/// a stray or unterminated quote, invalid UTF-8, a field longer than `maximumFieldLength` bytes.
package final class CSVReader {
    private let parser: UnsafeMutablePointer<csv_parser>
    private let maximumFieldLength: Int
    private var fields: [String] = []
    private var completed: [CSVRecord] = []
    private var line = 1
    private var recordLine = 1
    private var newlinesInRecord = 0
    private var lastTerminatorWasCR = false
    private var sawFirstBytes = false
    private var pendingError: CSVError?

    /// - Parameter maximumFieldLength: the longest field accepted, in bytes.
    package init(maximumFieldLength: Int = 64 * 1024) {
        self.maximumFieldLength = maximumFieldLength
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
            }
        }
        let consumed = withCallbacks { context in
            chunk.withUnsafeBytes { buffer in
                csv_parse(parser, buffer.baseAddress, buffer.count, Self.onField, Self.onRecordEnd, context)
            }
        }
        try throwIfFailed(consumed: consumed, of: chunk.count)
        return takeCompleted()
    }

    /// Ends the input: completes a last record without a trailing newline.
    /// - Throws: ``CSVError`` for a quote left open at the end of the input.
    package func finish() throws(CSVError) -> [CSVRecord] {
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
        if fields.isEmpty { recordLine = line }
        if bytes.count > maximumFieldLength {
            pendingError = CSVError(
                line: line,
                message: "field \(fields.count + 1) is \(bytes.count) bytes, over the limit of \(maximumFieldLength)"
            )
            return
        }
        newlinesInRecord += bytes.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        guard let field = String(validating: bytes, as: UTF8.self) else {
            pendingError = CSVError(line: line, message: "field \(fields.count + 1) is not valid UTF-8")
            return
        }
        fields.append(field)
    }

    private func endRecord(terminator: Int32) {
        guard pendingError == nil else { return }
        // With CSV_REPALL_NL, CRLF arrives as CR (ending the record) and then LF (an empty record).
        let isLF = terminator == 0x0A
        let continuesCRLF = isLF && lastTerminatorWasCR && fields.isEmpty
        lastTerminatorWasCR = terminator == 0x0D
        if !fields.isEmpty {
            completed.append(CSVRecord(fields: fields, line: recordLine))
            fields.removeAll(keepingCapacity: true)
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
