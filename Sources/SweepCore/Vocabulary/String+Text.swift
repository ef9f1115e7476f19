/// Text helpers every stage shares: trimming input cells, and showing IDs safely on a terminal.
extension String {
    /// The text without leading and trailing white space.
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }

    /// The text with control characters (which could move the cursor or rewrite a terminal's
    /// screen) and bidirectional overrides shown as escapes: `\n`, `\t`, `\u{1B}`.
    package var escapedForTerminal: String {
        guard unicodeScalars.contains(where: { $0.isControlCharacter || $0.isBidirectionalControl }) else {
            return self
        }
        var escaped = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.isControlCharacter || scalar.isBidirectionalControl:
                escaped += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension Unicode.Scalar {
    /// C0 and C1 controls and DEL.
    var isControlCharacter: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value)
    }

    /// Bidirectional embeddings, overrides and isolates, which can make text read in another order.
    fileprivate var isBidirectionalControl: Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
    }
}
