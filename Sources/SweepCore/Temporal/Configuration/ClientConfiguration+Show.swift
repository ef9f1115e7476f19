import Foundation

extension ClientConfiguration {
    /// One effective setting for `sweep config show`: its name, its value (secrets masked) and
    /// where it came from.
    package struct Line: Sendable, Hashable, Codable {
        package var name: String
        package var value: String
        package var source: String
    }

    /// Every effective setting, secrets masked: an API key, inline key material and every
    /// header's value show only that they are set (not even their length); headers show their names.
    package var lines: [Line] {
        func line(_ name: String, _ value: String, _ source: SettingSource) -> Line {
            Line(name: name, value: value, source: source.description)
        }
        var lines = [
            line("config_file", configFile.value + (configFileFound ? "" : " (not found)"), configFile.source),
            line("profile", profileName.value + (profileFound ? "" : " (not in the file)"), profileName.source),
            line("address", address.value, address.source),
            line("namespace", namespace.value, namespace.source),
        ]
        if let apiKey {
            lines.append(line("api_key", Self.masked, apiKey.source))
        } else {
            lines.append(line("api_key", "(none)", .builtIn))
        }
        let tls = tlsEnabled
        lines.append(line("tls", tls.value ? "on" : "off", tls.source))
        if tls.value, let table = profile.tls {
            let files: [(String, Setting<String>?, Bool)] = [
                ("tls.server_ca_cert_path", table.serverCACertPath, false),
                ("tls.server_ca_cert_data", table.serverCACertData, false),
                ("tls.client_cert_path", table.clientCertPath, false),
                ("tls.client_cert_data", table.clientCertData, false),
                ("tls.client_key_path", table.clientKeyPath, false),
                ("tls.client_key_data", table.clientKeyData, true),
            ]
            for (name, setting, secret) in files {
                guard let setting, !setting.value.isEmpty else { continue }
                let value =
                    name.hasSuffix("_data")
                    ? (secret ? Self.masked : "(inline PEM, \(setting.value.utf8.count) bytes)")
                    : TLSSettings.looksLikeData(setting.value)
                        ? "(PEM data given as a path, hidden)" : setting.value
                lines.append(line(name, value, setting.source))
            }
            if table.serverCACertPath == nil, table.serverCACertData == nil {
                lines.append(line("tls.server_ca_cert", "(system roots)", .builtIn))
            }
            if let name = table.serverName, !name.value.isEmpty {
                lines.append(line("tls.server_name", name.value, name.source))
            }
            if let disable = table.disableHostVerification, disable.value {
                lines.append(line("tls.disable_host_verification", "true", disable.source))
            }
        }
        // Any header may carry a credential (x-signing, x-tenant-pw): none of their values is shown.
        for (key, setting) in profile.grpcMeta.sorted(by: { $0.key < $1.key }) {
            lines.append(line("grpc_meta.\(key)", Self.masked, setting.source))
        }
        return lines
    }

    /// What a secret shows: that it is set, nothing of it (not its length).
    static let masked = "(set, hidden)"

    /// The lines as an aligned table for a terminal.
    package var table: String {
        let lines = self.lines
        let nameWidth = lines.map(\.name.count).max() ?? 0
        let valueWidth = min(60, lines.map(\.value.count).max() ?? 0)
        return lines.map { line in
            let name = line.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let value = line.value.escapedForTerminal
            let padded =
                value.count < valueWidth ? value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) : value
            return "\(name)  \(padded)  \(line.source)"
        }.joined(separator: "\n")
    }
}
