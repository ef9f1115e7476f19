import Foundation

/// Where and as whom to talk to Temporal.
package struct ConnectionOptions: Sendable, Hashable {
    /// `host:port` of the frontend.
    package var address: String
    package var namespace: String
    /// Recorded by the server with every cancel and terminate.
    package var identity: String
    /// The deadline of each call.
    package var callTimeout: Duration
    /// TLS, or `nil` for plaintext.
    package var tls: TLSSettings?
    /// Sent as `authorization: Bearer <key>` with every call. Never printed.
    package var apiKey: String?
    /// Headers sent with every call (`grpc_meta`), by lowercase name.
    package var headers: [String: String]

    /// Where sweep looks when nothing says otherwise: a local dev server.
    package static let defaultAddress = "127.0.0.1:7233"
    package static let defaultNamespace = "default"

    package init(
        address: String = ConnectionOptions.defaultAddress,
        namespace: String = ConnectionOptions.defaultNamespace,
        identity: String = ConnectionOptions.defaultIdentity,
        callTimeout: Duration = .seconds(10),
        tls: TLSSettings? = nil,
        apiKey: String? = nil,
        headers: [String: String] = [:]
    ) {
        self.address = address
        self.namespace = namespace
        self.identity = identity
        self.callTimeout = callTimeout
        self.tls = tls
        self.apiKey = apiKey
        self.headers = headers
    }

    /// The metadata of every call: `grpc_meta`, then the namespace header Temporal routes on in
    /// multi-namespace deployments (and Temporal Cloud), then the API key unless a header
    /// already carries `authorization` (as the SDKs do).
    package var metadata: [(key: String, value: String)] {
        var metadata = headers.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        if headers["temporal-namespace"] == nil {
            metadata.append((key: "temporal-namespace", value: namespace))
        }
        if let apiKey, headers["authorization"] == nil {
            metadata.append((key: "authorization", value: "Bearer \(apiKey)"))
        }
        return metadata
    }

    /// `temporal-sweep/<version> <user>@<host>`: traceable in history to a person and a machine.
    package static var defaultIdentity: String {
        "temporal-sweep/\(SweepVersion.current) \(ProcessInfo.sweepUserName)@\(ProcessInfo.sweepHostName)"
    }
}
