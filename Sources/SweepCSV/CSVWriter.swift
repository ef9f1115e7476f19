internal import CLibCSV

/// Encodes CSV rows through libcsv's quoting: a field is quoted (and its quotes doubled) only when
/// it holds a comma, a quote, a CR or LF, or leading or trailing spaces or tabs (which libcsv trims
/// from an unquoted field), so plain IDs stay plain and every field reads back exactly.
package enum CSVWriter {
    /// One row, with a trailing LF.
    package static func row(_ fields: [String]) -> String {
        var line = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { line += "," }
            line += encode(field)
        }
        line += "\n"
        return line
    }

    /// One field, quoted by libcsv if it needs quoting.
    package static func encode(_ field: String) -> String {
        guard needsQuoting(field) else { return field }
        var source = Array(field.utf8)
        let needed = source.withUnsafeMutableBytes { csv_write(nil, 0, $0.baseAddress, $0.count) }
        var output = [UInt8](repeating: 0, count: needed)
        _ = output.withUnsafeMutableBytes { destination in
            source.withUnsafeMutableBytes {
                csv_write(destination.baseAddress, destination.count, $0.baseAddress, $0.count)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func needsQuoting(_ field: String) -> Bool {
        field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || field.first == " " || field.last == " " || field.first == "\t" || field.last == "\t"
    }
}
