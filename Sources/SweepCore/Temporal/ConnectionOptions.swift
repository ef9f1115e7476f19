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

    package init(
        address: String = "127.0.0.1:7233",
        namespace: String = "default",
        identity: String = ConnectionOptions.defaultIdentity,
        callTimeout: Duration = .seconds(10)
    ) {
        self.address = address
        self.namespace = namespace
        self.identity = identity
        self.callTimeout = callTimeout
    }

    /// `temporal-sweep/<version> <user>@<host>`: traceable in history to a person and a machine.
    package static var defaultIdentity: String {
        "temporal-sweep/\(SweepVersion.current) \(ProcessInfo.sweepUserName)@\(ProcessInfo.sweepHostName)"
    }
}
