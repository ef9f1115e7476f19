extension ClientConfiguration {
    /// The connection a run makes with these settings.
    /// - Parameter identity: recorded by the server with every call; `nil` for the default.
    package func connectionOptions(identity: String?) -> ConnectionOptions {
        ConnectionOptions(
            address: address.value,
            namespace: namespace.value,
            identity: identity ?? ConnectionOptions.defaultIdentity,
            tls: tlsSettings,
            apiKey: apiKey?.value,
            headers: profile.grpcMeta.mapValues(\.value)
        )
    }

    /// The TLS settings when TLS is on.
    var tlsSettings: TLSSettings? {
        guard tlsEnabled.value else { return nil }
        let table = profile.tls
        func pem(_ path: Setting<String>?, _ data: Setting<String>?) -> TLSSettings.PEMInput? {
            if let path, !path.value.isEmpty { return .init(.file(path.value), from: path.source) }
            if let data, !data.value.isEmpty { return .init(.inline(data.value), from: data.source) }
            return nil
        }
        return TLSSettings(
            serverCA: pem(table?.serverCACertPath, table?.serverCACertData),
            clientCertificate: pem(table?.clientCertPath, table?.clientCertData),
            clientKey: pem(table?.clientKeyPath, table?.clientKeyData),
            serverName: table?.serverName.flatMap { $0.value.isEmpty ? nil : $0.value },
            verifiesServer: !(table?.disableHostVerification?.value ?? false)
        )
    }

    /// What a run with these settings should be warned of on standard error: an API key sent
    /// in plaintext because TLS was turned off.
    package var warnings: [String] {
        guard let apiKey, !tlsEnabled.value else { return [] }
        return [
            "the API key (from \(apiKey.source)) is sent in plaintext: TLS is off (from \(tlsEnabled.source)); anyone on the path can read it"
        ]
    }

    /// Every file these settings read, named by where each was set (`--tls-key-path`,
    /// `$TEMPORAL_CONFIG_FILE`): none may be a file the run writes (`--metrics-file`, `--lock`).
    package var filesRead: [(what: String, path: String)] {
        var files: [(what: String, path: String)] = []
        if configFileFound { files.append(("the config file (\(configFile.source))", configFile.value)) }
        let table = profile.tls
        for case let path? in [table?.clientCertPath, table?.clientKeyPath, table?.serverCACertPath]
        where !path.value.isEmpty {
            files.append(("a TLS file (\(path.source))", path.value))
        }
        return files
    }
}
