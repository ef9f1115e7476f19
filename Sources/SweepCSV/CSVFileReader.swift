import Foundation

/// The records of a CSV file, read through ``CSVReader`` a chunk at a time: memory is bounded by a
/// chunk and the longest record, not by the size of the file.
package final class CSVFileReader {
    private let handle: FileHandle
    private let reader: CSVReader
    private let chunkSize: Int
    private var buffered: [CSVRecord] = []
    private var index = 0
    private var finished = false

    /// Opens `path`; `nil` when it cannot be opened for reading.
    /// - Parameter tracksOffsets: as for ``CSVReader``.
    package init?(
        path: String, chunkSize: Int = 64 * 1024, maximumFieldLength: Int = 64 * 1024, tracksOffsets: Bool = true
    ) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
        self.chunkSize = chunkSize
        reader = CSVReader(maximumFieldLength: maximumFieldLength, tracksOffsets: tracksOffsets)
    }

    deinit {
        try? handle.close()
    }

    /// Whether the whole file has been read (a parse error thrown now is about its end: a quote
    /// left open, a last field cut short).
    package var reachedEnd: Bool { finished }

    /// The next record, or `nil` at the end of the file.
    /// - Throws: ``CSVError`` for malformed content (with its line); the read error when the file
    ///   cannot be read.
    package func next() throws -> CSVRecord? {
        while index == buffered.count {
            if finished { return nil }
            buffered.removeAll(keepingCapacity: true)
            index = 0
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            if chunk.isEmpty {
                finished = true
                buffered = try reader.finish()
            } else {
                buffered = try reader.parse(chunk)
            }
        }
        defer { index += 1 }
        return buffered[index]
    }
}
