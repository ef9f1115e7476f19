import ArgumentParser
import SweepCore

/// Where the Temporal frontend is.
struct ConnectionFlags: ParsableArguments {
    @Option(help: "The Temporal frontend, host:port.")
    var address = "127.0.0.1:7233"

    @Option(help: "The namespace.")
    var namespace = "default"

    func options(identity: String?) -> ConnectionOptions {
        ConnectionOptions(
            address: address, namespace: namespace, identity: identity ?? ConnectionOptions.defaultIdentity)
    }
}
