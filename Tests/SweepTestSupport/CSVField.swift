import SweepCSV

/// CSV encoding for test inputs (libcsv's quoting, as the product writes it).
package enum CSVField {
    package static func encode(_ field: String) -> String { CSVWriter.encode(field) }
}
