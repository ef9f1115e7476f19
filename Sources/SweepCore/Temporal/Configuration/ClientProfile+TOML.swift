import Foundation
import TOMLKit

extension ClientProfile {
    /// Reads profile `name` from the temporal.toml text at `path`.
    /// - Returns: the profile, or `nil` when the file has no such profile.
    /// - Throws: ``SweepError`` `.usage` when the text is not TOML or a known key has the wrong type;
    ///   unknown keys are ignored, as upstream does.
    static func parse(toml text: String, path: String, profile name: String) throws(SweepError) -> ClientProfile? {
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SweepError(
                .usage,
                "\(path):\(error.source.begin.line): not a valid TOML file: \(error.description)")
        } catch {
            throw SweepError(.usage, "\(path): not a valid TOML file: \(error)")
        }
        guard let profiles = document["profile"] else { return nil }
        guard let profilesTable = profiles.table else {
            throw SweepError(.usage, "\(path): 'profile' must be a table of profiles ([profile.NAME])")
        }
        guard let entry = profilesTable[name] else { return nil }
        guard let table = entry.table else {
            throw SweepError(.usage, "\(path): profile.\(name) must be a table")
        }
        let reader = TableReader(table: table, path: path, profile: name, prefix: "")
        var profile = ClientProfile()
        profile.address = try reader.string("address")
        profile.namespace = try reader.string("namespace")
        profile.apiKey = try reader.string("api_key")
        if let tlsValue = table["tls"] {
            guard let tlsTable = tlsValue.table else {
                throw SweepError(.usage, "\(path): profile.\(name).tls must be a table ([profile.\(name).tls])")
            }
            let tlsReader = TableReader(table: tlsTable, path: path, profile: name, prefix: "tls.")
            var tls = TLS(origin: .profile(file: path, profile: name, key: "tls"))
            tls.disabled = try tlsReader.bool("disabled")
            tls.clientCertPath = try tlsReader.string("client_cert_path")
            tls.clientCertData = try tlsReader.string("client_cert_data")
            tls.clientKeyPath = try tlsReader.string("client_key_path")
            tls.clientKeyData = try tlsReader.string("client_key_data")
            tls.serverCACertPath = try tlsReader.string("server_ca_cert_path")
            tls.serverCACertData = try tlsReader.string("server_ca_cert_data")
            tls.serverName = try tlsReader.string("server_name")
            tls.disableHostVerification = try tlsReader.bool("disable_host_verification")
            profile.tls = tls
        }
        if let metaValue = table["grpc_meta"] {
            guard let metaTable = metaValue.table else {
                throw SweepError(.usage, "\(path): profile.\(name).grpc_meta must be a table of strings")
            }
            let metaReader = TableReader(table: metaTable, path: path, profile: name, prefix: "grpc_meta.")
            for key in metaTable.keys {
                if let value = try metaReader.string(key) {
                    profile.grpcMeta[normalizedMetaKey(key)] = value
                }
            }
        }
        return profile
    }

    /// The names of the profiles in a temporal.toml text (for a message naming what exists).
    static func profileNames(toml text: String) -> [String] {
        guard let document = try? TOMLTable(string: text), let profiles = document["profile"]?.table else { return [] }
        return profiles.keys.sorted()
    }
}

/// Typed reads of one table's keys, each tagged with where it came from.
private struct TableReader {
    let table: TOMLTable
    let path: String
    let profile: String
    let prefix: String

    func string(_ key: String) throws(SweepError) -> Setting<String>? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else {
            throw SweepError(.usage, "\(path): profile.\(profile).\(prefix)\(key) must be a string")
        }
        return Setting(string, from: .profile(file: path, profile: profile, key: prefix + key))
    }

    func bool(_ key: String) throws(SweepError) -> Setting<Bool>? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else {
            throw SweepError(.usage, "\(path): profile.\(profile).\(prefix)\(key) must be true or false")
        }
        return Setting(bool, from: .profile(file: path, profile: profile, key: prefix + key))
    }
}
