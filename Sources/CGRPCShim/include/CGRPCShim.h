// A deliberately small C surface over the gRPC C core, for SweepGRPC only.
//
// Everything awkward from Swift (grpc_op unions whose pointers must outlive the batch, slices,
// byte buffers, metadata arrays, the blocking completion queue) stays behind these functions.
// A channel owns one completion queue and one thread that pumps it; each finished unary call is
// reported through the channel's completion callback, on that thread, exactly once per started
// call, with plain pointers that are valid only for the duration of the callback.
#ifndef SWEEP_CGRPC_SHIM_PUBLIC_H
#define SWEEP_CGRPC_SHIM_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sweep_grpc_channel sweep_grpc_channel;

/// Called once per started call, on the channel's completion-queue thread.
/// `status_code` is a gRPC status code (0 = OK). `details` and `response` may be NULL when empty.
typedef void (*sweep_grpc_completion)(void *tag, int status_code, const char *details,
                                      size_t details_length, const uint8_t *response,
                                      size_t response_length);

/// One ASCII metadata entry sent with a call ("authorization", "temporal-namespace", ...).
typedef struct {
    const char *key;
    const char *value;
} sweep_grpc_metadata_entry;

/// TLS for a channel. Every string is NUL-terminated PEM (or a host name) and is copied by
/// `sweep_grpc_channel_create` before it returns, so the caller may wipe it afterwards.
typedef struct {
    /// Trusted roots; NULL for gRPC's default roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, or the bundle).
    const char *root_certificates;
    /// The client's certificate chain and private key (mutual TLS); both NULL for none.
    const char *certificate_chain;
    const char *private_key;
    /// The name the server's certificate must carry, instead of the target's host; NULL for the host.
    const char *server_name;
    /// Zero skips verifying the server's certificate altogether (chain and name), like Go's
    /// InsecureSkipVerify, which the Temporal CLI's --tls-disable-host-verification sets.
    int verify_server;
} sweep_grpc_tls_options;

/// Whether every channel is made with the integer argument `key` ("grpc.enable_retries"), and
/// its value then, for tests of the arguments sweep relies on.
int sweep_grpc_channel_integer_argument(const char *key, int *value);

/// Opens a channel to `target` ("host:port"), over TLS when `tls` is not NULL, else in plaintext,
/// and starts its completion-queue thread. The connection is made lazily by the first call.
/// Returns NULL (and fills `error`) on failure.
sweep_grpc_channel *sweep_grpc_channel_create(const char *target, const char *user_agent,
                                              const sweep_grpc_tls_options *tls,
                                              sweep_grpc_completion completion, char *error,
                                              size_t error_capacity);

/// Starts one unary call. On success returns 0 and `completion` will be called with `tag`
/// exactly once. On failure returns a non-zero gRPC status code and never calls `completion`.
int sweep_grpc_channel_start_unary(sweep_grpc_channel *channel, const char *method,
                                   const uint8_t *request, size_t request_length,
                                   int64_t timeout_milliseconds,
                                   const sweep_grpc_metadata_entry *metadata,
                                   size_t metadata_count, void *tag);

/// A method registered with the channel and the headers every one of its calls sends, made once
/// (a call then neither copies the method's path nor its headers). Owned by the channel: valid
/// until sweep_grpc_channel_destroy. NULL when out of memory or the core refuses the method.
typedef struct sweep_grpc_method sweep_grpc_method;

const sweep_grpc_method *sweep_grpc_channel_prepare(sweep_grpc_channel *channel, const char *method,
                                                    const sweep_grpc_metadata_entry *metadata,
                                                    size_t metadata_count);

/// sweep_grpc_channel_start_unary for a prepared method, with its headers.
int sweep_grpc_channel_start_prepared(sweep_grpc_channel *channel, const sweep_grpc_method *method,
                                      const uint8_t *request, size_t request_length,
                                      int64_t timeout_milliseconds, void *tag);

/// Closes the channel: each call still in flight ends at once, with a failure status (not its
/// deadline; a request already sent may still have been acted on by the server). Waits for every
/// started call to report, stops the thread and frees everything (prepared methods included). No
/// call may be started during or after this.
void sweep_grpc_channel_destroy(sweep_grpc_channel *channel);

#ifdef __cplusplus
}
#endif

#endif
