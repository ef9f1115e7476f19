extension ClientProfile {
    /// Lays the `TEMPORAL_*` variables of `environment` over this profile, field by field, as
    /// temporalio/sdk-go `envconfig` does: a variable that is set wins even when empty; any TLS
    /// variable makes the `tls` table exist; `TEMPORAL_GRPC_META_SOME_KEY` sets header `some-key`
    /// (an empty value removes it). Then the Temporal CLI's older TLS variables
    /// (`TEMPORAL_TLS_CERT`, `_KEY`, `_CA` and their `_DATA`), which win when not empty.
    /// - Throws: ``SweepError`` `.usage` for a boolean that is not 1, 0, true or false (upstream
    ///   ignores it; a sweep refuses rather than guess whether TLS was meant).
    mutating func apply(environment: [String: String]) throws(SweepError) {
        func string(_ name: String) -> Setting<String>? {
            environment[name].map { Setting($0, from: .environment(name)) }
        }
        func bool(_ name: String) throws(SweepError) -> Setting<Bool>? {
            guard let text = environment[name] else { return nil }
            switch text.lowercased() {
            case "1", "true": return Setting(true, from: .environment(name))
            case "0", "false": return Setting(false, from: .environment(name))
            default:
                throw SweepError(
                    .usage, "$\(name) is '\(text.escapedForTerminal)'; set it to true or false (or 1 or 0)")
            }
        }
        if let value = string("TEMPORAL_ADDRESS") { address = value }
        if let value = string("TEMPORAL_NAMESPACE") { namespace = value }
        if let value = string("TEMPORAL_API_KEY") { apiKey = value }

        func withTLS(_ name: String, _ change: (inout TLS) -> Void) {
            var table = tls ?? TLS(origin: .environment(name))
            change(&table)
            tls = table
        }
        if let enabled = try bool("TEMPORAL_TLS") {
            withTLS("TEMPORAL_TLS") { $0.disabled = Setting(!enabled.value, from: enabled.source) }
        }
        let strings: [(String, WritableKeyPath<TLS, Setting<String>?>)] = [
            ("TEMPORAL_TLS_CLIENT_CERT_PATH", \.clientCertPath),
            ("TEMPORAL_TLS_CLIENT_CERT_DATA", \.clientCertData),
            ("TEMPORAL_TLS_CLIENT_KEY_PATH", \.clientKeyPath),
            ("TEMPORAL_TLS_CLIENT_KEY_DATA", \.clientKeyData),
            ("TEMPORAL_TLS_SERVER_CA_CERT_PATH", \.serverCACertPath),
            ("TEMPORAL_TLS_SERVER_CA_CERT_DATA", \.serverCACertData),
            ("TEMPORAL_TLS_SERVER_NAME", \.serverName),
        ]
        for (name, field) in strings {
            if let value = string(name) { withTLS(name) { $0[keyPath: field] = value } }
        }
        if let value = try bool("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION") {
            withTLS("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION") { $0.disableHostVerification = value }
        }
        let metaPrefix = "TEMPORAL_GRPC_META_"
        for (name, value) in environment where name.hasPrefix(metaPrefix) && name.count > metaPrefix.count {
            let key = Self.normalizedMetaKey(String(name.dropFirst(metaPrefix.count)))
            grpcMeta[key] = value.isEmpty ? nil : Setting(value, from: .environment(name))
        }

        // The Temporal CLI's older names: a non-empty one wins over the file and the names above.
        let legacy: [(String, WritableKeyPath<TLS, Setting<String>?>)] = [
            ("TEMPORAL_TLS_CERT", \.clientCertPath), ("TEMPORAL_TLS_CERT_DATA", \.clientCertData),
            ("TEMPORAL_TLS_KEY", \.clientKeyPath), ("TEMPORAL_TLS_KEY_DATA", \.clientKeyData),
            ("TEMPORAL_TLS_CA", \.serverCACertPath), ("TEMPORAL_TLS_CA_DATA", \.serverCACertData),
        ]
        for (name, field) in legacy {
            if let value = string(name), !value.value.isEmpty { withTLS(name) { $0[keyPath: field] = value } }
        }
    }
}
