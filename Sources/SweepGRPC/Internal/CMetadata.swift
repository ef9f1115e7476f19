internal import CGRPCShim

#if canImport(Glibc)
    import Glibc
#endif

/// Lends metadata to C as an array of NUL-terminated strings, for the duration of `body`
/// (the shim copies them before returning).
enum CMetadata {
    /// - Returns: what `body` returned, or nil, without calling it, when a copy could not be made
    ///   (out of memory): a call never goes out with a header silently left off.
    static func withEntries<R>(
        _ metadata: [(key: String, value: String)],
        _ body: (UnsafePointer<sweep_grpc_metadata_entry>?, Int) -> R
    ) -> R? {
        if metadata.isEmpty {
            return body(nil, 0)
        }
        var strings: [UnsafeMutablePointer<CChar>] = []
        strings.reserveCapacity(metadata.count * 2)
        // Values may carry a credential (authorization): wipe the copies made here before freeing
        // them, every copy made, whether or not the others could be.
        defer {
            for string in strings {
                explicit_bzero(string, strlen(string))
                free(string)
            }
        }
        var entries: [sweep_grpc_metadata_entry] = []
        for (key, value) in metadata {
            guard let k = strdup(key) else { return nil }
            strings.append(k)
            guard let v = strdup(value) else { return nil }
            strings.append(v)
            entries.append(sweep_grpc_metadata_entry(key: k, value: v))
        }
        return entries.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}
