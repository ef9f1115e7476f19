internal import CGRPCShim
package import SwiftProtobuf
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/2 channel to a gRPC server, through the gRPC C core, with async unary calls.
///
/// Calls are multiplexed on the channel; the C core reconnects by itself. All calls started on a
/// channel report before `close()` returns. Scope it with `withWorkflowServiceClient` (SweepCore).
package final class GRPCChannel: Sendable {
    /// The C channel's address (an integer, so that the class is Sendable without a lock).
    private let address: UInt
    /// Who is using the C channel: bit 0 is set once it is closing (no new call may start), the
    /// rest counts calls being started (2 each). Calls start concurrently (starting one writes to
    /// the socket); `close()` waits for the count to drain before freeing the channel, so a late
    /// call fails cleanly instead of touching freed memory.
    private let users = Atomic<Int>(0)
    /// Whether the C channel has been freed (a lock, so that a second `close()` waits for the first).
    private let destroyed = Mutex(false)
    private let started = Atomic<Int>(0)
    /// The address this channel dials, as given.
    package let target: String

    /// Opens a channel, over TLS when `tls` is given, else in plaintext. No connection is made
    /// until the first call; a failed handshake fails that call with `.unavailable`.
    /// - Throws: ``RPCError`` with code `.unavailable` when the C core refuses to create the channel.
    package init(target: String, userAgent: String, tls: TLSConfiguration? = nil) throws(RPCError) {
        var error = [CChar](repeating: 0, count: 256)
        let completion: sweep_grpc_completion = { tag, code, details, detailsLength, response, responseLength in
            guard let tag else { return }
            let pending = Unmanaged<PendingCall>.fromOpaque(tag).takeRetainedValue()
            if code == 0 {
                let bytes = response.map { Array(UnsafeBufferPointer(start: $0, count: responseLength)) } ?? []
                pending.continuation.resume(returning: .success(bytes))
            } else {
                let message =
                    details.map {
                        String(decoding: UnsafeRawBufferPointer(start: $0, count: detailsLength), as: UTF8.self)
                    } ?? ""
                pending.continuation.resume(
                    returning: .failure(RPCError(code: .init(rawValue: code), message: message)))
            }
        }
        let pointer: OpaquePointer?
        if let tls {
            pointer = CTLSOptions.with(tls) { options in
                sweep_grpc_channel_create(target, userAgent, options, completion, &error, error.count)
            }
        } else {
            pointer = sweep_grpc_channel_create(target, userAgent, nil, completion, &error, error.count)
        }
        guard let pointer else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw RPCError(code: .unavailable, message: message)
        }
        self.address = UInt(bitPattern: pointer)
        self.target = target
    }

    deinit {
        close()
    }

    /// The value every channel is made with for the C core's integer argument `key`
    /// ("grpc.enable_retries"), or nil when it is left to the core's default.
    package static func integerArgument(_ key: String) -> Int? {
        var value: Int32 = 0
        return sweep_grpc_channel_integer_argument(key, &value) == 1 ? Int(value) : nil
    }

    /// How many calls this channel has started (sent to the C core), for tests and statistics.
    package var callsStarted: Int { started.load(ordering: .relaxed) }

    /// Ends the calls in flight (each reports a failure at once, not its deadline), waits for
    /// every started call to report, then frees the channel. Idempotent.
    package func close() {
        users.bitwiseOr(1, ordering: .acquiringAndReleasing)
        // Calls being started finish starting (microseconds); none can begin now.
        while users.load(ordering: .acquiring) > 1 { sched_yield() }
        destroyed.withLock { destroyed in
            guard !destroyed, let channel = OpaquePointer(bitPattern: address) else { return }
            sweep_grpc_channel_destroy(channel)
            destroyed = true
        }
    }

    /// Runs `body` with the C channel, unless it is closing (then `nil`).
    private func withChannel<R>(_ body: (OpaquePointer) -> R) -> R? {
        var current = users.load(ordering: .relaxed)
        while true {
            guard current & 1 == 0 else { return nil }
            let (exchanged, original) = users.compareExchange(
                expected: current, desired: current + 2, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
        defer { users.subtract(2, ordering: .releasing) }
        guard let channel = OpaquePointer(bitPattern: address) else { return nil }
        return body(channel)
    }

    /// A method prepared on a channel with the headers each of its calls sends: a call of it
    /// copies neither the method's path nor its headers (see ``prepare(method:metadata:)``).
    package struct PreparedMethod: Sendable {
        /// The C registration's address, owned by the channel.
        fileprivate let address: UInt
        package let path: String
    }

    /// Registers `method` with the channel and `metadata` for every call of it; valid for the
    /// channel's life. `nil` once the channel is closed (or out of memory): use the path then.
    package func prepare(method: String, metadata: [(key: String, value: String)]) -> PreparedMethod? {
        let pointer = withChannel { channel in
            CMetadata.withEntries(metadata) { entries, count in
                sweep_grpc_channel_prepare(channel, method, entries, count)
            } ?? nil
        }
        guard let pointer = pointer ?? nil else { return nil }
        return PreparedMethod(address: UInt(bitPattern: pointer), path: method)
    }

    /// Sends one request and waits for the answer or the deadline.
    /// - Parameters:
    ///   - method: the full path, `/package.Service/Method`.
    ///   - request: the serialized request message.
    ///   - metadata: ASCII headers sent with the call.
    ///   - timeout: the call's deadline, from now.
    /// - Returns: the serialized response, or the status the call ended with. Never throws: a
    ///   failed call is a value, and the caller decides whether it is fatal.
    package func unary(
        method: String,
        request: [UInt8],
        metadata: [(key: String, value: String)] = [],
        timeout: Duration
    ) async -> Result<[UInt8], RPCError> {
        await send(request, timeout: timeout) { channel, bytes, count, milliseconds, tag in
            CMetadata.withEntries(metadata) { entries, entryCount in
                sweep_grpc_channel_start_unary(channel, method, bytes, count, milliseconds, entries, entryCount, tag)
            } ?? RPCError.Code.resourceExhausted.rawValue
        }
    }

    /// ``unary(method:request:metadata:timeout:)`` of a prepared method, with its headers.
    package func unary(_ method: PreparedMethod, request: [UInt8], timeout: Duration) async -> Result<[UInt8], RPCError>
    {
        await send(request, timeout: timeout) { channel, bytes, count, milliseconds, tag in
            sweep_grpc_channel_start_prepared(
                channel, OpaquePointer(bitPattern: method.address), bytes, count, milliseconds, tag)
        }
    }

    /// Starts a call with `start` (given the channel, the request's bytes, the deadline in
    /// milliseconds and the tag) and waits for its completion.
    private func send(
        _ request: [UInt8],
        timeout: Duration,
        start: (OpaquePointer, UnsafePointer<UInt8>?, Int, Int64, UnsafeMutableRawPointer?) -> Int32
    ) async -> Result<[UInt8], RPCError> {
        let milliseconds = max(
            1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return await withCheckedContinuation { continuation in
            let tag = Unmanaged.passRetained(PendingCall(continuation: continuation)).toOpaque()
            // The tag crosses into the C core as an address: the core owns it until the callback.
            let tagAddress = UInt(bitPattern: tag)
            let status =
                withChannel { channel -> Int32 in
                    request.withUnsafeBufferPointer { bytes in
                        start(
                            channel, bytes.baseAddress, bytes.count, milliseconds,
                            UnsafeMutableRawPointer(bitPattern: tagAddress))
                    }
                } ?? RPCError.Code.unavailable.rawValue
            if status == 0 {
                started.add(1, ordering: .relaxed)
            } else {
                Unmanaged<PendingCall>.fromOpaque(tag).release()
                let message =
                    status == RPCError.Code.unavailable.rawValue
                    ? "the channel is closed" : "the call could not be started"
                continuation.resume(returning: .failure(RPCError(code: .init(rawValue: status), message: message)))
            }
        }
    }

    /// Sends one protobuf request and decodes the response.
    /// - Throws: ``RPCError`` only: the call's status, or `.internal` when a message does not
    ///   serialize or the response does not decode.
    package func unary<Response: SwiftProtobuf.Message>(
        method: String,
        request: some SwiftProtobuf.Message,
        responseType: Response.Type = Response.self,
        metadata: [(key: String, value: String)] = [],
        timeout: Duration
    ) async throws(RPCError) -> Response {
        let bytes = try Self.serialized(request)
        return try Self.decoded(await unary(method: method, request: bytes, metadata: metadata, timeout: timeout))
    }

    /// ``unary(method:request:responseType:metadata:timeout:)`` of a prepared method.
    package func unary<Response: SwiftProtobuf.Message>(
        _ method: PreparedMethod,
        request: some SwiftProtobuf.Message,
        responseType: Response.Type = Response.self,
        timeout: Duration
    ) async throws(RPCError) -> Response {
        let bytes = try Self.serialized(request)
        return try Self.decoded(await unary(method, request: bytes, timeout: timeout))
    }

    private static func serialized(_ request: some SwiftProtobuf.Message) throws(RPCError) -> [UInt8] {
        do {
            return try request.serializedBytes()
        } catch {
            throw RPCError(code: .internal, message: "could not serialize \(type(of: request)): \(error)")
        }
    }

    private static func decoded<Response: SwiftProtobuf.Message>(_ result: Result<[UInt8], RPCError>)
        throws(RPCError) -> Response
    {
        switch result {
        case .success(let response):
            do {
                return try Response(serializedBytes: response)
            } catch {
                throw RPCError(code: .internal, message: "could not decode \(Response.self): \(error)")
            }
        case .failure(let error):
            throw error
        }
    }
}
