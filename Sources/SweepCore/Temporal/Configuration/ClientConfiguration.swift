import Foundation

/// The effective connection settings of a run, each with where it came from: what
/// `sweep config show` prints and what ``ConnectionOptions`` are made of.
package struct ClientConfiguration: Sendable, Hashable {
    /// The temporal.toml consulted (whether or not it exists) and whether it was named explicitly.
    package var configFile: Setting<String>
    /// Whether the file was there to read.
    package var configFileFound: Bool
    package var profileName: Setting<String>
    /// Whether the profile was in the file.
    package var profileFound: Bool
    /// Every setting, after the file, the environment and the flags.
    package var profile: ClientProfile

    /// The frontend to dial, with upstream's `${namespace}` placeholder filled in. Set but empty
    /// (`TEMPORAL_ADDRESS=`), it wins over the profile and means the default, from where it was set.
    package var address: Setting<String> {
        let namespace = self.namespace.value
        guard let address = profile.address, !address.value.isEmpty else {
            return Setting(ConnectionOptions.defaultAddress, from: profile.address?.source ?? .builtIn)
        }
        return Setting(
            address.value.replacingOccurrences(of: "${namespace}", with: namespace), from: address.source)
    }

    /// The namespace; set but empty (`TEMPORAL_NAMESPACE=`), the default, from where it was set.
    package var namespace: Setting<String> {
        guard let namespace = profile.namespace, !namespace.value.isEmpty else {
            return Setting(ConnectionOptions.defaultNamespace, from: profile.namespace?.source ?? .builtIn)
        }
        return namespace
    }

    /// The API key, when one is set and not empty.
    package var apiKey: Setting<String>? {
        guard let key = profile.apiKey, !key.value.isEmpty else { return nil }
        return key
    }

    /// Whether TLS is on, and what turned it on or off: a `tls` table that is not disabled, or an
    /// API key with no `tls` table at all (Temporal Cloud needs TLS with API keys).
    package var tlsEnabled: Setting<Bool> {
        if let tls = profile.tls {
            if let disabled = tls.disabled, disabled.value { return Setting(false, from: disabled.source) }
            return Setting(true, from: tls.disabled?.source ?? tls.origin)
        }
        if let apiKey { return Setting(true, from: apiKey.source) }
        return Setting(false, from: .builtIn)
    }

    /// Resolves the settings in upstream's order: the profile in the file, then the `TEMPORAL_*`
    /// variables over it field by field, then the flags over both.
    ///
    /// The file is `--config-file`, else `$TEMPORAL_CONFIG_FILE`, else
    /// `$XDG_CONFIG_HOME/temporalio/temporal.toml` (`~/.config/...`); the profile is `--profile`,
    /// else `$TEMPORAL_PROFILE`, else `default`. A missing default file or default profile is no
    /// error; one named explicitly is (upstream ignores a missing named file; a cron job whose
    /// mounted file went missing should not quietly dial localhost).
    /// - Throws: ``SweepError`` `.usage` (exit 2): an unreadable or invalid file, a missing named
    ///   profile or file, a bad boolean variable, a malformed `--grpc-meta`, or conflicting TLS settings.
    /// - Parameter checked: whether the settings are checked once laid over each other (TLS
    ///   pairs, header values, the address's port); unchecked, only to learn what they name.
    package static func resolve(
        _ flags: ConnectionFlagValues,
        environment: [String: String],
        checked: Bool = true
    ) throws(SweepError) -> ClientConfiguration {
        let file: Setting<String>
        let fileNamed: Bool
        if let path = flags.configFile {
            (file, fileNamed) = (Setting(path, from: .flag("--config-file")), true)
        } else if let path = environment["TEMPORAL_CONFIG_FILE"], !path.isEmpty {
            (file, fileNamed) = (Setting(path, from: .environment("TEMPORAL_CONFIG_FILE")), true)
        } else {
            (file, fileNamed) = (Setting(defaultConfigFile(environment: environment), from: .builtIn), false)
        }
        let name: Setting<String>
        let nameGiven: Bool
        if let profile = flags.profile {
            (name, nameGiven) = (Setting(profile, from: .flag("--profile")), true)
        } else if let profile = environment["TEMPORAL_PROFILE"], !profile.isEmpty {
            (name, nameGiven) = (Setting(profile, from: .environment("TEMPORAL_PROFILE")), true)
        } else {
            (name, nameGiven) = (Setting("default", from: .builtIn), false)
        }

        var profile = ClientProfile()
        var fileFound = false
        var profileFound = false
        if let text = try readConfigFile(file.value, named: fileNamed, source: file.source) {
            fileFound = true
            if let parsed = try ClientProfile.parse(toml: text, path: file.value, profile: name.value) {
                profile = parsed
                profileFound = true
            } else if nameGiven {
                let names = ClientProfile.profileNames(toml: text)
                throw SweepError(
                    .usage,
                    "no profile '\(name.value.escapedForTerminal)' (from \(name.source)) in \(file.value); it has \(names.isEmpty ? "no profiles" : names.joined(separator: ", "))"
                )
            }
        } else if nameGiven {
            throw SweepError(
                .usage,
                "profile '\(name.value.escapedForTerminal)' (from \(name.source)) needs \(file.value), which does not exist"
            )
        }
        try profile.apply(environment: environment)
        try profile.apply(flags)
        let configuration = ClientConfiguration(
            configFile: file, configFileFound: fileFound, profileName: name, profileFound: profileFound,
            profile: profile)
        guard checked else { return configuration }
        try configuration.checkTLSSettings()
        try configuration.checkHeaderValues()
        try configuration.checkAddress()
        return configuration
    }

    /// `$XDG_CONFIG_HOME/temporalio/temporal.toml`, else `~/.config/temporalio/temporal.toml`
    /// (Go's `os.UserConfigDir` on Linux; on macOS `~/Library/Application Support`).
    package static func defaultConfigFile(environment: [String: String]) -> String {
        #if os(macOS)
            let base = (environment["HOME"] ?? NSHomeDirectory()) + "/Library/Application Support"
        #else
            let base =
                environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        #endif
        return base + "/temporalio/temporal.toml"
    }

    private static func readConfigFile(
        _ path: String,
        named: Bool,
        source: SettingSource
    ) throws(SweepError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else {
            guard named else { return nil }
            throw SweepError(.usage, "the config file \(path) (from \(source)) does not exist")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SweepError(.usage, "cannot read the config file \(path): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SweepError(.usage, "the config file \(path) is not UTF-8 text")
        }
        return text
    }

    /// An address without a port (`127.0.0.1`), which the gRPC core would dial at port 0:
    /// refused, naming where it was set, rather than a port guessed.
    private func checkAddress() throws(SweepError) {
        let value = address.value
        guard !value.hasPrefix("unix:") else { return }
        let port = value.split(separator: ":", omittingEmptySubsequences: false).last ?? ""
        let hasPort = value.contains(":") && !port.isEmpty && port.allSatisfy { $0.isASCII && $0.isNumber }
        guard !hasPort else { return }
        throw SweepError(
            .usage,
            "the address \(value.escapedForTerminal) (from \(address.source)) has no port; give host:port (a Temporal frontend listens on 7233 by default)"
        )
    }

    /// An API key or header value that cannot go in an HTTP/2 header (a newline or another
    /// control character, often pasted with the key): refused before anything is dialled, naming
    /// where it was set, never its value.
    private func checkHeaderValues() throws(SweepError) {
        let headers = profile.grpcMeta.sorted { $0.key < $1.key }
        let values: [(String, Setting<String>?)] =
            [("the API key", apiKey)] + headers.map { ("header \($0.key)", $0.value) }
        for case let (what, setting?) in values
        where setting.value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E }) {
            throw SweepError(
                .usage,
                "\(what) (from \(setting.source)) holds a control character or non-ASCII text (a newline pasted with it?); a header value cannot carry it. Nothing was sent"
            )
        }
    }

    /// Path and inline data for the same file, or half a client key pair, or `--tls-*` with `--no-tls`.
    private func checkTLSSettings() throws(SweepError) {
        guard let tls = profile.tls else { return }
        let pairs: [(String, Setting<String>?, Setting<String>?)] = [
            ("client certificate", tls.clientCertPath, tls.clientCertData),
            ("client key", tls.clientKeyPath, tls.clientKeyData),
            ("server CA certificate", tls.serverCACertPath, tls.serverCACertData),
        ]
        for (what, path, data) in pairs {
            if let path, let data, !path.value.isEmpty, !data.value.isEmpty {
                throw SweepError(
                    .usage,
                    "the \(what) is given twice, as a path (\(path.source)) and as data (\(data.source)); keep one")
            }
        }
        let hasCertificate = [tls.clientCertPath, tls.clientCertData].contains { $0.map { !$0.value.isEmpty } ?? false }
        let hasKey = [tls.clientKeyPath, tls.clientKeyData].contains { $0.map { !$0.value.isEmpty } ?? false }
        if hasCertificate != hasKey {
            throw SweepError(
                .usage,
                hasCertificate
                    ? "a client certificate is set but no client key: give --tls-key-path (or client_key_path) too"
                    : "a client key is set but no client certificate: give --tls-cert-path (or client_cert_path) too")
        }
    }
}
