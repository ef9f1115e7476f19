import SweepCSV
import Testing

/// Property tests with a seeded generator, so a failure reproduces.
@Suite("CSV properties")
struct CSVPropertyTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("random bytes, in random chunks, either parse or fail with a CSVError; never crash", arguments: 0..<200)
    func randomBytes(seed: UInt64) {
        var random = SplitMix64(state: seed)
        let alphabet: [UInt8] = Array("a,\"\r\n ".utf8) + [0xFF, 0xC3, 0xA9, 0x00]
        let bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? 0
        }
        let reader = CSVReader(maximumFieldLength: 64)
        do {
            var index = 0
            var records: [CSVRecord] = []
            while index < bytes.count {
                let size = Int.random(in: 1...17, using: &random)
                records += try reader.parse(bytes[index..<min(bytes.count, index + size)])
                index += size
            }
            records += try reader.finish()
            #expect(records.allSatisfy { $0.line >= 1 && !$0.fields.isEmpty })
            #expect(zip(records, records.dropFirst()).allSatisfy { $0.line < $1.line })
        } catch {
            #expect(error.line >= 1)
        }
    }

    @Test("random rows written by the writer read back identical, whatever the chunking", arguments: 0..<200)
    func roundTrip(seed: UInt64) throws {
        var random = SplitMix64(state: seed)
        let pieces = ["a", "Z", "0", ",", "\"", "\n", "\r\n", "é", "漢", "-", "=", "_", ":", "'"]
        let rows: [[String]] = (0..<Int.random(in: 1...8, using: &random)).map { _ in
            (0..<Int.random(in: 1...4, using: &random)).map { _ in
                // Non-empty fields without edge spaces: libcsv trims unquoted spaces and drops empty rows.
                (0..<Int.random(in: 1...6, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "a" }
                    .joined()
            }
        }
        let text = Array(rows.map(CSVWriter.row).joined().utf8)
        let reader = CSVReader()
        var records: [CSVRecord] = []
        var index = 0
        while index < text.count {
            let size = Int.random(in: 1...13, using: &random)
            records += try reader.parse(text[index..<min(text.count, index + size)])
            index += size
        }
        records += try reader.finish()
        #expect(records.map(\.fields) == rows)
    }
}
