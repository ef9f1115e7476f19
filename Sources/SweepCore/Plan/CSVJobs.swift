import Foundation
import SweepCSV

/// The jobs in a CSV file, read in chunks as they are consumed: memory is bounded by a chunk and
/// the longest record, not by the size of the file.
package struct CSVJobs: AsyncSequence, Sendable {
    package typealias Element = Job

    package let path: String
    package let isPlan: Bool
    package var chunkSize = 64 * 1024

    /// - Parameter isPlan: the file is a plan (`sweep plan`): it must have a `run_id` column.
    package init(path: String, isPlan: Bool = false) {
        self.path = path
        self.isPlan = isPlan
    }

    package func makeAsyncIterator() -> Iterator {
        Iterator(path: path, chunkSize: chunkSize, isPlan: isPlan)
    }

    /// Whether the file opens with a UTF-16 byte order mark (FF FE or FE FF).
    static func startsWithUTF16ByteOrderMark(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = Array((try? handle.read(upToCount: 2)) ?? Data())
        return head == [0xFF, 0xFE] || head == [0xFE, 0xFF]
    }

    package struct Iterator: AsyncIteratorProtocol {
        private let path: String
        private let chunkSize: Int
        private var file: CSVFileReader?
        private var decoder: CSVJobDecoder

        init(path: String, chunkSize: Int, isPlan: Bool) {
            self.path = path
            self.chunkSize = chunkSize
            self.decoder = CSVJobDecoder(requiresRunIDColumn: isPlan)
        }

        package mutating func next() async throws -> Job? {
            try nextJob()
        }

        /// ``next()`` without suspending: reading a file does not wait on anything a task could.
        mutating func nextJob() throws -> Job? {
            if file == nil {
                guard let opened = CSVFileReader(path: path, chunkSize: chunkSize, tracksOffsets: false) else {
                    throw SweepError(
                        .input, "\(path): cannot open the file for reading; check the path and permissions")
                }
                file = opened
            }
            do {
                while let record = try file?.next() {
                    if let job = try decoder.decode(record) { return job }
                }
                return nil
            } catch let error as CSVError {
                if error.line == 1, CSVJobs.startsWithUTF16ByteOrderMark(path) {
                    throw SweepError(
                        .input,
                        "\(path): the file is UTF-16 text (a spreadsheet's 'Unicode text' export), not UTF-8; save it as CSV UTF-8",
                        cause: error)
                }
                throw SweepError(.input, "\(path):\(error.line): \(error.message)", cause: error)
            } catch {
                throw SweepError(.input, "\(path): cannot read the file: \(error.localizedDescription)")
            }
        }
    }
}
