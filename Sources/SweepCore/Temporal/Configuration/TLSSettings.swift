import Foundation
import SweepGRPC
import SweepTLS

/// TLS as configured: where the PEMs are (files are read only when the channel is made) and how
/// to check the server.
package struct TLSSettings: Sendable, Hashable {
    package var serverCA: PEMInput?
    package var clientCertificate: PEMInput?
    package var clientKey: PEMInput?
    /// The name the server's certificate must carry instead of the address's host.
    package var serverName: String?
    /// `false`: the server's certificate is not checked at all (`--tls-disable-host-verification`).
    package var verifiesServer: Bool

    package init(
        serverCA: PEMInput? = nil,
        clientCertificate: PEMInput? = nil,
        clientKey: PEMInput? = nil,
        serverName: String? = nil,
        verifiesServer: Bool = true
    ) {
        self.serverCA = serverCA
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.serverName = serverName
        self.verifiesServer = verifiesServer
    }

    /// A PEM, in a file or inline, and the setting that gave it.
    package struct PEMInput: Sendable, Hashable {
        package enum Location: Sendable, Hashable {
            case file(String)
            case inline(String)
        }
        package var location: Location
        package var source: SettingSource

        package init(_ location: Location, from source: SettingSource) {
            self.location = location
            self.source = source
        }

        /// `ca.pem (--tls-ca-path)`, or `inline data ($TEMPORAL_TLS_CA_DATA)`; never a PEM pasted
        /// where a path belongs (it may be a private key).
        var label: String {
            switch location {
            case .file(let path) where TLSSettings.looksLikeData(path):
                "the value of \(source), which is PEM data, not a path"
            case .file(let path): "\(path) (\(source))"
            case .inline: "the inline PEM of \(source)"
            }
        }

        func read(_ what: String) throws(SweepError) -> [UInt8] {
            switch location {
            case .inline(let text):
                return Array(text.utf8)
            case .file(let path) where TLSSettings.looksLikeData(path):
                throw SweepError(
                    .usage, "the \(what) is \(label): give the file's path, or the PEM through the *_DATA variable")
            case .file(let path):
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    let reason =
                        FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist"
                    throw SweepError(.usage, "cannot read the \(what) \(label): \(reason)")
                }
                defer { try? handle.close() }
                do {
                    return Array(try handle.readToEnd() ?? Data())
                } catch {
                    throw SweepError(.usage, "cannot read the \(what) \(label): \(error.localizedDescription)")
                }
            }
        }
    }

    /// Whether a "path" is in fact PEM text (or anything multi-line): never printed.
    package static func looksLikeData(_ path: String) -> Bool {
        path.contains("-----BEGIN") || path.contains("\n") || path.utf8.count > 4096
    }

    /// Reads the PEMs and checks them before anything is dialled: each parses, and the key
    /// belongs to the certificate.
    /// - Throws: ``SweepError`` `.usage` (exit 2) naming the file: missing or unreadable, not PEM,
    ///   an encrypted key, a key that is not the certificate's. An expired certificate is left to
    ///   the handshake, whose failure names it (``Guards``).
    func load() throws(SweepError) -> TLSConfiguration {
        var configuration = TLSConfiguration(serverName: serverName, verifiesServer: verifiesServer)
        if let serverCA {
            let pem = try serverCA.read("server CA certificate")
            guard PEMCertificates(pem: pem) != nil else {
                throw SweepError(.usage, "\(serverCA.label) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            configuration.rootCertificates = pem
        }
        if let clientCertificate, let clientKey {
            let chain = try clientCertificate.read("client certificate")
            guard PEMCertificates(pem: chain) != nil else {
                throw SweepError(
                    .usage, "\(clientCertificate.label) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            var key = try clientKey.read("client key")
            switch KeyPairCheck(chain: chain, key: key) {
            case .matches:
                configuration.certificateChain = chain
                configuration.privateKey = key
            case .mismatch:
                key.wipe()
                throw SweepError(
                    .usage,
                    "the client key \(clientKey.label) does not belong to the certificate \(clientCertificate.label)")
            case .unreadableKey:
                key.wipe()
                throw SweepError(
                    .usage,
                    "\(clientKey.label) holds no PEM private key (an encrypted key is not supported: sweep takes no passphrase)"
                )
            case .unreadableCertificate:
                key.wipe()
                throw SweepError(.usage, "\(clientCertificate.label) holds no PEM certificate")
            }
        }
        return configuration
    }

    /// The client certificate's validity, for a failed handshake's message; `nil` when unknown.
    func clientCertificateDates() -> (notBefore: Date, notAfter: Date)? {
        guard let clientCertificate, let pem = try? clientCertificate.read("client certificate"),
            let certificates = PEMCertificates(pem: pem)
        else { return nil }
        return (certificates.notBefore, certificates.notAfter)
    }
}
