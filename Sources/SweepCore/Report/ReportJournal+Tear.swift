import Foundation
import SweepCSV

extension ReportJournal {
    /// The line (within the rest of the file) of a whole report row found after the first line
    /// end past `offset`, if any. Reads at most 1 MiB.
    static func wholeRowAfterTear(path: String, from offset: Int) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil,
            let tail = try? handle.read(upToCount: 1 << 20),
            let newline = tail.firstIndex(of: 0x0A)
        else { return nil }
        let reader = CSVReader()
        guard let records = try? reader.parse(tail[(newline + 1)...]) + ((try? reader.finish()) ?? []) else {
            return nil
        }
        return records.first { record in
            record.count == ReportFormat.columns.count && Action(rawValue: record[2]) != nil
                && (Outcome(rawValue: record[3]) != nil
                    || RunProvenance.isProvenance(workflowID: record[0], outcome: record[3]))
        }?.line
    }
}
