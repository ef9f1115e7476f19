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
}
