import Foundation
import SweepGRPC

/// Turns the first call's failure into what failed and what to check: a TLS handshake, the
/// credentials, or a server that is not there. The gRPC status stays in the message, after the
/// explanation, for whoever needs to search for it.
enum ConnectionFailure {
    /// The whole-run error for a failed first call (exit 3, nothing sent).
    static func error(_ error: RPCError, options: ConnectionOptions, now: Date = Date()) -> SweepError {
        SweepError(.unreachable, message(error, options: options, now: now), cause: error)
    }

    static func message(_ error: RPCError, options: ConnectionOptions, now: Date = Date()) -> String {
        let address = options.address
        let raw = "(\(error))"
        let text = error.message.lowercased()
        let clientCertificateNote = expiredClientCertificateNote(options, now: now)
        switch error.code {
        case .unauthenticated:
            return
                "the server at \(address) refused the credentials: check the API key (--api-key, TEMPORAL_API_KEY or the profile's api_key) and that it has not expired; nothing was sent \(raw)"
        case .permissionDenied:
            return
                "the credentials are not allowed to use namespace \(options.namespace) at \(address): check the API key's or certificate's permissions and --namespace; nothing was sent \(raw)"
        default:
            break
        }
        if text.contains("status: 400") || text.contains("certificate required")
            || text.contains("alert bad certificate")
            || text.contains("unknown ca") && options.tls?.clientCertificate != nil
        {
            let certificate =
                options.tls?.clientCertificate == nil
                ? "it asks for a client certificate: give --tls-cert-path and --tls-key-path (or the profile's client_cert_path and client_key_path)"
                : "check that the client certificate is signed by a CA the server trusts and has not expired"
            return
                "the server at \(address) refused the TLS client certificate: \(clientCertificateNote ?? certificate); nothing was sent \(raw)"
        }
        if text.contains("peer name") && text.contains("not in peer certificate") {
            return
                "the server's certificate at \(address) does not carry the expected name: check --address, or give --tls-server-name with a name the certificate carries; nothing was sent \(raw)"
        }
        if text.contains("certificate verify failed") || text.contains("certificate_verify_failed") {
            let roots =
                options.tls?.serverCA == nil
                ? "the system's roots do not trust it: give its CA with --tls-ca-path (or the profile's server_ca_cert_path)"
                : "the CA given (--tls-ca-path or server_ca_cert_*) does not trust it"
            return
                "the server's TLS certificate at \(address) was not accepted: it is expired or \(roots); nothing was sent \(raw)"
        }
        if text.contains("wrong version number") {
            return
                "TLS is on but the server at \(address) does not speak TLS: check --address, or turn TLS off (--no-tls); nothing was sent \(raw)"
        }
        if options.tls == nil, text.contains("http1.x") {
            // A web port (the UI, the HTTP API, metrics), or a TLS port answering plain HTTP's 400.
            return
                "the server at \(address) answers HTTP/1, not gRPC: check --address names the frontend's gRPC port (7233 by default), not a web UI, HTTP API or metrics port; if it is a TLS port, add --tls; nothing was sent \(raw)"
        }
        if text.contains("failed parsing http/2") {
            return
                "the server at \(address) does not speak gRPC (HTTP/2): check --address names the frontend's gRPC port (7233 by default); nothing was sent \(raw)"
        }
        if options.tls == nil, text.contains("socket closed") || text.contains("connection reset") {
            return
                "the server at \(address) does not answer plaintext gRPC; it may require TLS: add --tls (an API key or a profile's tls table turns it on); nothing was sent \(raw)"
        }
        if text.contains("handshake") || text.contains("ssl") || text.contains("tls") {
            return
                "the TLS handshake with \(address) failed: \(clientCertificateNote ?? "check the TLS settings (sweep config show)"); nothing was sent \(raw)"
        }
        return
            "cannot reach the Temporal server at \(address): check --address and that the server is up; nothing was sent \(raw)"
    }

    /// "the client certificate expired on ..." when it has.
    private static func expiredClientCertificateNote(_ options: ConnectionOptions, now: Date) -> String? {
        guard let dates = options.tls?.clientCertificateDates() else { return nil }
        if dates.notAfter < now {
            return "the client certificate expired on \(ReportFormat.timestamp(dates.notAfter)); renew it"
        }
        if dates.notBefore > now {
            return
                "the client certificate is not valid before \(ReportFormat.timestamp(dates.notBefore)); check the clock"
        }
        return nil
    }
}
