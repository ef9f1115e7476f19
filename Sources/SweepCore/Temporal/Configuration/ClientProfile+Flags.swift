extension ClientProfile {
    /// Lays the flags over the profile, as the Temporal CLI does: `--address`, `--namespace` and
    /// `--api-key` when given; `--grpc-meta` per key (names as typed); `--no-tls` replaces the
    /// whole `tls` table with a disabled one. Unlike the CLI, which ignores `--tls-server-name`
    /// and `--tls-disable-host-verification` unless TLS is already on, any `--tls-*` flag turns
    /// TLS on: a flag that silently does nothing is worse than one that does what it says.
    /// - Throws: ``SweepError`` `.usage` for a `--grpc-meta` that is not `KEY=VALUE`.
    mutating func apply(_ flags: ConnectionFlagValues) throws(SweepError) {
        if let value = flags.address { address = Setting(value, from: .flag("--address")) }
        if let value = flags.namespace { namespace = Setting(value, from: .flag("--namespace")) }
        if let value = flags.apiKey, !value.isEmpty { apiKey = Setting(value, from: .flag("--api-key")) }
        for pair in flags.grpcMeta {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                // Not echoed: it may be a credential typed with the wrong separator.
                throw SweepError(
                    .usage, "a --grpc-meta value is not KEY=VALUE (e.g. --grpc-meta tenant=blue)")
            }
            let key = String(pair[..<equals]).lowercased()
            grpcMeta[key] = Setting(String(pair[pair.index(after: equals)...]), from: .flag("--grpc-meta"))
        }

        if flags.tls == false {
            var disabled = TLS(origin: .flag("--no-tls"))
            disabled.disabled = Setting(true, from: .flag("--no-tls"))
            tls = disabled
            return
        }
        let settings:
            [(String, String?, WritableKeyPath<TLS, Setting<String>?>, WritableKeyPath<TLS, Setting<String>?>?)] = [
                ("--tls-ca-path", flags.tlsCAPath, \.serverCACertPath, \.serverCACertData),
                ("--tls-cert-path", flags.tlsCertPath, \.clientCertPath, \.clientCertData),
                ("--tls-key-path", flags.tlsKeyPath, \.clientKeyPath, \.clientKeyData),
                ("--tls-server-name", flags.tlsServerName, \.serverName, nil),
            ]
        let given = settings.first { $0.1 != nil }?.0
        guard flags.tls == true || given != nil || flags.tlsDisableHostVerification else { return }
        var table = tls ?? TLS(origin: .flag(flags.tls == true ? "--tls" : given ?? "--tls-disable-host-verification"))
        if flags.tls == true || table.disabled?.value == true {
            table.disabled = Setting(
                false, from: .flag(flags.tls == true ? "--tls" : given ?? "--tls-disable-host-verification"))
        }
        for (flag, value, field, data) in settings {
            guard let value else { continue }
            table[keyPath: field] = Setting(value, from: .flag(flag))
            // A flag's path replaces inline data from the file or the environment.
            if let data { table[keyPath: data] = nil }
        }
        if flags.tlsDisableHostVerification {
            table.disableHostVerification = Setting(true, from: .flag("--tls-disable-host-verification"))
        }
        tls = table
    }
}
