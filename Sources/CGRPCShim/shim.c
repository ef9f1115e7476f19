#include "CGRPCShim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

struct sweep_grpc_method {
    // The path, kept for as long as the registration that names it (the channel's life).
    char *path;
    void *registered;
    // The headers every call of this method sends (their slices are shared, each call refs them).
    grpc_metadata *metadata;
    size_t metadata_count;
    struct sweep_grpc_method *next;
};

struct sweep_grpc_channel {
    grpc_channel *channel;
    grpc_completion_queue *queue;
    pthread_t pump;
    sweep_grpc_completion completion;
    pthread_mutex_t methods_lock;
    sweep_grpc_method *methods;
};

// Everything one in-flight unary call needs to stay alive until its batch completes.
typedef struct {
    grpc_call *call;
    void *tag;
    grpc_byte_buffer *request;
    grpc_byte_buffer *response;
    grpc_metadata *send_metadata;
    size_t send_metadata_count;
    grpc_metadata_array received_initial_metadata;
    grpc_metadata_array received_trailing_metadata;
    grpc_status_code status;
    grpc_slice details;
} sweep_unary_call;

static void sweep_unary_call_free(sweep_unary_call *call) {
    if (call->call != NULL) grpc_call_unref(call->call);
    if (call->request != NULL) grpc_byte_buffer_destroy(call->request);
    if (call->response != NULL) grpc_byte_buffer_destroy(call->response);
    for (size_t i = 0; i < call->send_metadata_count; i++) {
        grpc_slice_unref(call->send_metadata[i].key);
        grpc_slice_unref(call->send_metadata[i].value);
    }
    free(call->send_metadata);
    grpc_metadata_array_destroy(&call->received_initial_metadata);
    grpc_metadata_array_destroy(&call->received_trailing_metadata);
    grpc_slice_unref(call->details);
    free(call);
}

static void sweep_unary_call_finish(sweep_grpc_channel *channel, sweep_unary_call *call, int success) {
    if (!success) {
        // The batch itself failed (should not happen for a well-formed batch); report it as UNKNOWN.
        static const char message[] = "gRPC batch failed";
        channel->completion(call->tag, GRPC_STATUS_UNKNOWN, message, sizeof(message) - 1, NULL, 0);
        sweep_unary_call_free(call);
        return;
    }
    const char *details = (const char *)GRPC_SLICE_START_PTR(call->details);
    size_t details_length = GRPC_SLICE_LENGTH(call->details);
    if (call->status == GRPC_STATUS_OK && call->response != NULL) {
        grpc_byte_buffer_reader reader;
        if (grpc_byte_buffer_reader_init(&reader, call->response)) {
            grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
            grpc_byte_buffer_reader_destroy(&reader);
            channel->completion(call->tag, GRPC_STATUS_OK, details, details_length,
                                GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all));
            grpc_slice_unref(all);
        } else {
            static const char message[] = "could not read the response message";
            channel->completion(call->tag, GRPC_STATUS_INTERNAL, message, sizeof(message) - 1, NULL, 0);
        }
    } else {
        channel->completion(call->tag, (int)call->status, details, details_length, NULL, 0);
    }
    sweep_unary_call_free(call);
}

static void *sweep_grpc_pump(void *argument) {
    sweep_grpc_channel *channel = argument;
    for (;;) {
        grpc_event event = grpc_completion_queue_next(channel->queue, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (event.type == GRPC_QUEUE_SHUTDOWN) break;
        if (event.type != GRPC_OP_COMPLETE) continue;
        sweep_unary_call_finish(channel, event.tag, event.success);
    }
    return NULL;
}

// Credentials for `tls`: the stable SSL credentials, or (to skip verifying the server) the TLS
// credentials options, whose verify_server_cert switch the SSL credentials lack.
static grpc_channel_credentials *sweep_grpc_tls_credentials(const sweep_grpc_tls_options *tls) {
    grpc_ssl_pem_key_cert_pair pair = {.private_key = tls->private_key, .cert_chain = tls->certificate_chain};
    int has_pair = tls->private_key != NULL && tls->certificate_chain != NULL;
    if (tls->verify_server) {
        return grpc_ssl_credentials_create_ex(tls->root_certificates, has_pair ? &pair : NULL, NULL, NULL);
    }
    grpc_tls_credentials_options *options = grpc_tls_credentials_options_create();
    if (options == NULL) return NULL;
    if (has_pair || tls->root_certificates != NULL) {
        grpc_tls_identity_pairs *pairs = NULL;
        if (has_pair) {
            pairs = grpc_tls_identity_pairs_create();
            grpc_tls_identity_pairs_add_pair(pairs, tls->private_key, tls->certificate_chain);
        }
        // The provider takes ownership of `pairs`.
        grpc_tls_certificate_provider *provider =
            grpc_tls_certificate_provider_static_data_create(tls->root_certificates, pairs);
        grpc_tls_credentials_options_set_certificate_provider(options, provider);
        grpc_tls_certificate_provider_release(provider);
        if (tls->root_certificates != NULL) grpc_tls_credentials_options_watch_root_certs(options);
        if (has_pair) grpc_tls_credentials_options_watch_identity_key_cert_pairs(options);
    }
    // No chain check, and a verifier that accepts any name (the default one checks the host name).
    grpc_tls_credentials_options_set_verify_server_cert(options, 0);
    grpc_tls_credentials_options_set_check_call_host(options, 0);
    grpc_tls_certificate_verifier *verifier = grpc_tls_certificate_verifier_no_op_create();
    grpc_tls_credentials_options_set_certificate_verifier(options, verifier);
    grpc_tls_certificate_verifier_release(verifier);
    // Takes ownership of `options`.
    return grpc_tls_credentials_create(options);
}

// The C core logs failed handshakes to stderr; each one also fails its call with the same text,
// which sweep explains. Keep the core quiet unless GRPC_VERBOSITY asks for its log.
static void sweep_grpc_discard_log(gpr_log_func_args *args) { (void)args; }
static pthread_once_t sweep_grpc_log_once = PTHREAD_ONCE_INIT;
static void sweep_grpc_configure_log(void) {
    if (getenv("GRPC_VERBOSITY") == NULL) gpr_set_log_function(sweep_grpc_discard_log);
}

// The integer arguments every channel is made with.
static const struct {
    const char *key;
    int value;
} sweep_grpc_integer_arguments[] = {
    {GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 64 * 1024 * 1024},
    // Reconnect within seconds after the server comes back (the default backoff grows to 120 s),
    // so a restarted server costs a sweep seconds of retries, not minutes.
    {GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500},
    {GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000},
    // Sweep decides alone whether a call is sent again (a terminate that may have landed is
    // described, not resent): no retries by the core, and no service config from DNS that
    // could turn them on.
    {GRPC_ARG_ENABLE_RETRIES, 0},
    {GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1},
};
#define SWEEP_GRPC_INTEGER_ARGUMENTS (sizeof(sweep_grpc_integer_arguments) / sizeof(sweep_grpc_integer_arguments[0]))

int sweep_grpc_channel_integer_argument(const char *key, int *value) {
    for (size_t i = 0; i < SWEEP_GRPC_INTEGER_ARGUMENTS; i++) {
        if (strcmp(sweep_grpc_integer_arguments[i].key, key) == 0) {
            *value = sweep_grpc_integer_arguments[i].value;
            return 1;
        }
    }
    return 0;
}

sweep_grpc_channel *sweep_grpc_channel_create(const char *target, const char *user_agent,
                                              const sweep_grpc_tls_options *tls,
                                              sweep_grpc_completion completion, char *error,
                                              size_t error_capacity) {
    pthread_once(&sweep_grpc_log_once, sweep_grpc_configure_log);
    grpc_init();
    sweep_grpc_channel *channel = calloc(1, sizeof(*channel));
    if (channel == NULL) {
        snprintf(error, error_capacity, "out of memory");
        grpc_shutdown();
        return NULL;
    }
    grpc_arg arguments[SWEEP_GRPC_INTEGER_ARGUMENTS + 2];
    size_t argument_count = 0;
    for (size_t i = 0; i < SWEEP_GRPC_INTEGER_ARGUMENTS; i++) {
        arguments[argument_count].type = GRPC_ARG_INTEGER;
        arguments[argument_count].key = (char *)sweep_grpc_integer_arguments[i].key;
        arguments[argument_count].value.integer = sweep_grpc_integer_arguments[i].value;
        argument_count++;
    }
    arguments[argument_count].type = GRPC_ARG_STRING;
    arguments[argument_count].key = GRPC_ARG_PRIMARY_USER_AGENT_STRING;
    arguments[argument_count].value.string = (char *)user_agent;
    argument_count++;
    if (tls != NULL && tls->server_name != NULL) {
        arguments[argument_count].type = GRPC_ARG_STRING;
        arguments[argument_count].key = GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
        arguments[argument_count].value.string = (char *)tls->server_name;
        argument_count++;
    }
    grpc_channel_args args = {.num_args = argument_count, .args = arguments};

    grpc_channel_credentials *credentials =
        tls != NULL ? sweep_grpc_tls_credentials(tls) : grpc_insecure_credentials_create();
    if (credentials == NULL) {
        snprintf(error, error_capacity, "the gRPC core refused the TLS settings");
        free(channel);
        grpc_shutdown();
        return NULL;
    }
    channel->channel = grpc_channel_create(target, credentials, &args);
    grpc_channel_credentials_release(credentials);
    channel->queue = grpc_completion_queue_create_for_next(NULL);
    channel->completion = completion;
    if (channel->channel == NULL || channel->queue == NULL) {
        snprintf(error, error_capacity, "could not create a gRPC channel to %s", target);
        if (channel->channel != NULL) grpc_channel_destroy(channel->channel);
        if (channel->queue != NULL) grpc_completion_queue_destroy(channel->queue);
        free(channel);
        grpc_shutdown();
        return NULL;
    }
    pthread_mutex_init(&channel->methods_lock, NULL);
    int started = pthread_create(&channel->pump, NULL, sweep_grpc_pump, channel);
    if (started != 0) {
        snprintf(error, error_capacity, "could not start the completion-queue thread (error %d)", started);
        pthread_mutex_destroy(&channel->methods_lock);
        grpc_channel_destroy(channel->channel);
        grpc_completion_queue_shutdown(channel->queue);
        grpc_completion_queue_destroy(channel->queue);
        free(channel);
        grpc_shutdown();
        return NULL;
    }
    return channel;
}

// Starts the batch of a unary call whose `call`, `send_metadata` and `tag` are set; frees it on failure.
static int sweep_grpc_start_batch(sweep_unary_call *call, const uint8_t *request, size_t request_length) {
    grpc_slice payload = grpc_slice_from_copied_buffer((const char *)request, request_length);
    call->request = grpc_raw_byte_buffer_create(&payload, 1);
    grpc_slice_unref(payload);

    grpc_op ops[6];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = call->send_metadata_count;
    ops[0].data.send_initial_metadata.metadata = call->send_metadata;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = call->request;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &call->received_initial_metadata;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &call->response;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &call->received_trailing_metadata;
    ops[5].data.recv_status_on_client.status = &call->status;
    ops[5].data.recv_status_on_client.status_details = &call->details;

    grpc_call_error result = grpc_call_start_batch(call->call, ops, 6, call, NULL);
    if (result != GRPC_CALL_OK) {
        sweep_unary_call_free(call);
        return GRPC_STATUS_INTERNAL;
    }
    return 0;
}

static sweep_unary_call *sweep_unary_call_new(void *tag) {
    sweep_unary_call *call = calloc(1, sizeof(*call));
    if (call == NULL) return NULL;
    call->tag = tag;
    call->details = grpc_empty_slice();
    grpc_metadata_array_init(&call->received_initial_metadata);
    grpc_metadata_array_init(&call->received_trailing_metadata);
    return call;
}

static gpr_timespec sweep_grpc_deadline(int64_t timeout_milliseconds) {
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_milliseconds, GPR_TIMESPAN));
}

int sweep_grpc_channel_start_unary(sweep_grpc_channel *channel, const char *method,
                                   const uint8_t *request, size_t request_length,
                                   int64_t timeout_milliseconds,
                                   const sweep_grpc_metadata_entry *metadata,
                                   size_t metadata_count, void *tag) {
    sweep_unary_call *call = sweep_unary_call_new(tag);
    if (call == NULL) return GRPC_STATUS_RESOURCE_EXHAUSTED;

    if (metadata_count > 0) {
        call->send_metadata = calloc(metadata_count, sizeof(grpc_metadata));
        if (call->send_metadata == NULL) {
            sweep_unary_call_free(call);
            return GRPC_STATUS_RESOURCE_EXHAUSTED;
        }
        for (size_t i = 0; i < metadata_count; i++) {
            call->send_metadata[i].key = grpc_slice_from_copied_string(metadata[i].key);
            call->send_metadata[i].value = grpc_slice_from_copied_string(metadata[i].value);
            call->send_metadata_count = i + 1;
        }
    }

    grpc_slice method_slice = grpc_slice_from_copied_string(method);
    call->call = grpc_channel_create_call(channel->channel, NULL, GRPC_PROPAGATE_DEFAULTS, channel->queue,
                                          method_slice, NULL, sweep_grpc_deadline(timeout_milliseconds), NULL);
    grpc_slice_unref(method_slice);
    if (call->call == NULL) {
        sweep_unary_call_free(call);
        return GRPC_STATUS_INTERNAL;
    }
    return sweep_grpc_start_batch(call, request, request_length);
}

const sweep_grpc_method *sweep_grpc_channel_prepare(sweep_grpc_channel *channel, const char *method,
                                                    const sweep_grpc_metadata_entry *metadata,
                                                    size_t metadata_count) {
    sweep_grpc_method *prepared = calloc(1, sizeof(*prepared));
    if (prepared == NULL) return NULL;
    prepared->path = strdup(method);
    prepared->metadata = metadata_count > 0 ? calloc(metadata_count, sizeof(grpc_metadata)) : NULL;
    if (prepared->path == NULL || (metadata_count > 0 && prepared->metadata == NULL)) {
        free(prepared->path);
        free(prepared->metadata);
        free(prepared);
        return NULL;
    }
    for (size_t i = 0; i < metadata_count; i++) {
        prepared->metadata[i].key = grpc_slice_from_copied_string(metadata[i].key);
        prepared->metadata[i].value = grpc_slice_from_copied_string(metadata[i].value);
    }
    prepared->metadata_count = metadata_count;
    prepared->registered = grpc_channel_register_call(channel->channel, prepared->path, NULL, NULL);
    if (prepared->registered == NULL) {
        for (size_t i = 0; i < metadata_count; i++) {
            grpc_slice_unref(prepared->metadata[i].key);
            grpc_slice_unref(prepared->metadata[i].value);
        }
        free(prepared->metadata);
        free(prepared->path);
        free(prepared);
        return NULL;
    }
    pthread_mutex_lock(&channel->methods_lock);
    prepared->next = channel->methods;
    channel->methods = prepared;
    pthread_mutex_unlock(&channel->methods_lock);
    return prepared;
}

int sweep_grpc_channel_start_prepared(sweep_grpc_channel *channel, const sweep_grpc_method *method,
                                      const uint8_t *request, size_t request_length,
                                      int64_t timeout_milliseconds, void *tag) {
    sweep_unary_call *call = sweep_unary_call_new(tag);
    if (call == NULL) return GRPC_STATUS_RESOURCE_EXHAUSTED;
    if (method->metadata_count > 0) {
        call->send_metadata = malloc(method->metadata_count * sizeof(grpc_metadata));
        if (call->send_metadata == NULL) {
            sweep_unary_call_free(call);
            return GRPC_STATUS_RESOURCE_EXHAUSTED;
        }
        // A reference to each shared slice, released with the call (no copy of the text).
        memcpy(call->send_metadata, method->metadata, method->metadata_count * sizeof(grpc_metadata));
        for (size_t i = 0; i < method->metadata_count; i++) {
            grpc_slice_ref(call->send_metadata[i].key);
            grpc_slice_ref(call->send_metadata[i].value);
        }
        call->send_metadata_count = method->metadata_count;
    }
    call->call = grpc_channel_create_registered_call(channel->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
                                                     channel->queue, method->registered,
                                                     sweep_grpc_deadline(timeout_milliseconds), NULL);
    if (call->call == NULL) {
        sweep_unary_call_free(call);
        return GRPC_STATUS_INTERNAL;
    }
    return sweep_grpc_start_batch(call, request, request_length);
}

void sweep_grpc_channel_destroy(sweep_grpc_channel *channel) {
    // Destroying the channel first ends the calls still in flight (each fails at once, through
    // the queue); the queue only reports GRPC_QUEUE_SHUTDOWN once every started batch has been
    // delivered.
    grpc_channel_destroy(channel->channel);
    grpc_completion_queue_shutdown(channel->queue);
    pthread_join(channel->pump, NULL);
    grpc_completion_queue_destroy(channel->queue);
    for (sweep_grpc_method *method = channel->methods; method != NULL;) {
        sweep_grpc_method *next = method->next;
        for (size_t i = 0; i < method->metadata_count; i++) {
            grpc_slice_unref(method->metadata[i].key);
            grpc_slice_unref(method->metadata[i].value);
        }
        free(method->metadata);
        free(method->path);
        free(method);
        method = next;
    }
    pthread_mutex_destroy(&channel->methods_lock);
    free(channel);
    grpc_shutdown();
}
