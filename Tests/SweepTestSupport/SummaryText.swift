/// Reads counts back from the summary `sweep` prints on standard error.
package enum SummaryText {
    /// The count printed for `outcome` ("  terminated   200"), if any.
    package static func count(of outcome: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == outcome { return Int(words[1]) }
        }
        return nil
    }
}
