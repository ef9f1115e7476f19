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

    package struct Iterator: AsyncIteratorProtocol {
        private let path: String
        private let chunkSize: Int
        private var file: FileHandle?
        private var opened = false
        private var finished = false
        private let reader = CSVReader()
        private var decoder: CSVJobDecoder
        private var buffered: [CSVRecord] = []
        private var bufferIndex = 0

        init(path: String, chunkSize: Int, isPlan: Bool) {
            self.path = path
            self.chunkSize = chunkSize
            self.decoder = CSVJobDecoder(requiresRunIDColumn: isPlan)
        }

        package mutating func next() async throws -> Job? {
            while true {
                while bufferIndex < buffered.count {
                    let record = buffered[bufferIndex]
                    bufferIndex += 1
                    do {
                        if let job = try decoder.decode(record) { return job }
                    } catch {
                        throw SweepError(.input, "\(path):\(error.line): \(error.message)", cause: error)
                    }
                }
                if finished { return nil }
                try refill()
            }
        }

        private mutating func refill() throws {
            buffered.removeAll(keepingCapacity: true)
            bufferIndex = 0
            if !opened {
                opened = true
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw SweepError(
                        .input, "\(path): cannot open the file for reading; check the path and permissions")
                }
                file = handle
            }
            do {
                let chunk = try file?.read(upToCount: chunkSize) ?? Data()
                if chunk.isEmpty {
                    finished = true
                    try? file?.close()
                    buffered = try reader.finish()
                } else {
                    buffered = try reader.parse(chunk)
                }
            } catch let error as CSVError {
                throw SweepError(.input, "\(path):\(error.line): \(error.message)", cause: error)
            } catch let error as SweepError {
                throw error
            } catch {
                throw SweepError(.input, "\(path): cannot read the file: \(error.localizedDescription)")
            }
        }
    }
}
