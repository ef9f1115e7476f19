/// Where one connection setting came from: `sweep config show` says it, and messages name it.
package enum SettingSource: Sendable, Hashable, CustomStringConvertible {
    /// A command-line flag, as typed (`--address`).
    case flag(String)
    /// An environment variable (`TEMPORAL_ADDRESS`).
    case environment(String)
    /// A key of a temporal.toml profile.
    case profile(file: String, profile: String, key: String)
    /// Nothing set it.
    case builtIn

    package var description: String {
        switch self {
        case .flag(let name): name
        case .environment(let name): "$\(name)"
        case .profile(let file, let profile, let key): "\(file) [profile.\(profile)] \(key)"
        case .builtIn: "default"
        }
    }
}

/// A setting's value and where it came from.
package struct Setting<Value: Sendable & Hashable>: Sendable, Hashable {
    package var value: Value
    package var source: SettingSource

    package init(_ value: Value, from source: SettingSource) {
        self.value = value
        self.source = source
    }
}
