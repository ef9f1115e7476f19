extension Duration {
    /// This duration in (fractional) seconds.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// This duration in (fractional) milliseconds.
    package var inMilliseconds: Double { inSeconds * 1000 }
}
