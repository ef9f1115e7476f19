// The floor of any client built on the gRPC C core that sweep uses: RequestCancelWorkflowExecution
// for each run of a CSV (`workflow_id,run_id` lines after a header), CONCURRENCY calls in flight,
// all on one thread that starts each call and takes each completion itself (no thread hop, no
// task, no report, no retry, requests encoded by hand). It does not list: the runs are given.
// Prints one JSON line like python_sweep.py: workflows, failed, seconds, per_second, cpu_seconds.
//
// Build: cc -O2 -o c_floor c_floor.c -lgrpc -lgpr     (libgrpc-dev)
// Usage: c_floor ADDRESS RUNS_CSV [CONCURRENCY]
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    grpc_call *call;
    grpc_byte_buffer *request;
    grpc_byte_buffer *response;
    grpc_metadata_array initial_metadata;
    grpc_metadata_array trailing_metadata;
    grpc_status_code status;
    grpc_slice details;
} unary_call;

typedef struct {
    char *workflow_id;
    char *run_id;
} run;

static grpc_channel *channel;
static grpc_completion_queue *queue;
static void *method;
static run *runs;
static size_t run_count, next_run;

static size_t put_varint(unsigned char *out, size_t value) {
    size_t length = 0;
    while (value >= 0x80) {
        out[length++] = (unsigned char)(value | 0x80);
        value >>= 7;
    }
    out[length++] = (unsigned char)value;
    return length;
}

// A length-delimited field: tag, length, bytes.
static size_t put_bytes(unsigned char *out, int field, const void *bytes, size_t length) {
    size_t offset = put_varint(out, (size_t)(field << 3 | 2));
    offset += put_varint(out + offset, length);
    memcpy(out + offset, bytes, length);
    return offset + length;
}

static size_t put_string(unsigned char *out, int field, const char *text) {
    return put_bytes(out, field, text, strlen(text));
}

// Starts the next run's cancel; 0 when none is left.
static int start_next(void) {
    if (next_run >= run_count) return 0;
    const run *target = &runs[next_run++];
    // temporal.api.workflowservice.v1.RequestCancelWorkflowExecutionRequest: namespace = 1,
    // workflow_execution = 2 {workflow_id = 1, run_id = 2}, identity = 3, request_id = 4, reason = 6.
    unsigned char execution[2100], message[2400];
    size_t execution_length = put_string(execution, 1, target->workflow_id);
    execution_length += put_string(execution + execution_length, 2, target->run_id);
    char request_id[64];
    snprintf(request_id, sizeof request_id, "c-floor-%ld-%zu", (long)time(NULL), next_run);
    size_t length = put_string(message, 1, "default");
    length += put_bytes(message + length, 2, execution, execution_length);
    length += put_string(message + length, 3, "c-floor");
    length += put_string(message + length, 4, request_id);
    length += put_string(message + length, 6, "bench");

    unary_call *call = calloc(1, sizeof *call);
    if (call == NULL) exit(1);
    grpc_slice slice = grpc_slice_from_copied_buffer((const char *)message, length);
    call->request = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(30, GPR_TIMESPAN));
    call->call = grpc_channel_create_registered_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, queue, method,
                                                     deadline, NULL);
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = call->request;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &call->initial_metadata;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &call->response;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &call->trailing_metadata;
    ops[5].data.recv_status_on_client.status = &call->status;
    ops[5].data.recv_status_on_client.status_details = &call->details;
    if (grpc_call_start_batch(call->call, ops, 6, call, NULL) != GRPC_CALL_OK) {
        fprintf(stderr, "c_floor: a call could not be started\n");
        exit(1);
    }
    return 1;
}

static int read_runs(const char *path) {
    FILE *file = fopen(path, "r");
    if (file == NULL) return 0;
    char line[4096];
    size_t capacity = 0;
    int header = 1;
    while (fgets(line, sizeof line, file)) {
        if (header) {
            header = 0;
            continue;
        }
        line[strcspn(line, "\r\n")] = 0;
        char *comma = strchr(line, ',');
        if (comma == NULL) continue;
        *comma = 0;
        // Temporal's own limit on an ID (limit.maxIDLength); the buffers in start_next hold it.
        if (strlen(line) > 1000 || strlen(comma + 1) > 1000) {
            fprintf(stderr, "c_floor: an ID over 1,000 bytes: %.40s...\n", line);
            exit(2);
        }
        if (run_count == capacity) {
            capacity = capacity ? capacity * 2 : 1024;
            runs = realloc(runs, capacity * sizeof *runs);
            if (runs == NULL) exit(1);
        }
        runs[run_count].workflow_id = strdup(line);
        runs[run_count].run_id = strdup(comma + 1);
        if (runs[run_count].workflow_id == NULL || runs[run_count].run_id == NULL) exit(1);
        run_count++;
    }
    fclose(file);
    return 1;
}

static double seconds(struct timeval value) { return (double)value.tv_sec + (double)value.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 3 || !read_runs(argv[2])) {
        fprintf(stderr, "usage: c_floor ADDRESS RUNS_CSV [CONCURRENCY]\n");
        return 2;
    }
    int concurrency = argc > 3 ? atoi(argv[3]) : 64;
    grpc_init();
    queue = grpc_completion_queue_create_for_next(NULL);
    grpc_channel_credentials *credentials = grpc_insecure_credentials_create();
    channel = grpc_channel_create(argv[1], credentials, NULL);
    grpc_channel_credentials_release(credentials);
    method = grpc_channel_register_call(
        channel, "/temporal.api.workflowservice.v1.WorkflowService/RequestCancelWorkflowExecution", NULL, NULL);

    struct rusage before, after;
    struct timespec start, end;
    getrusage(RUSAGE_SELF, &before);
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t active = 0, succeeded = 0, failed = 0;
    for (int i = 0; i < concurrency; i++) active += (size_t)start_next();
    while (active > 0) {
        grpc_event event = grpc_completion_queue_next(queue, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (event.type != GRPC_OP_COMPLETE) continue;
        unary_call *call = event.tag;
        if (event.success && call->status == GRPC_STATUS_OK) {
            succeeded++;
        } else {
            failed++;
        }
        grpc_call_unref(call->call);
        grpc_byte_buffer_destroy(call->request);
        if (call->response != NULL) grpc_byte_buffer_destroy(call->response);
        grpc_metadata_array_destroy(&call->initial_metadata);
        grpc_metadata_array_destroy(&call->trailing_metadata);
        grpc_slice_unref(call->details);
        free(call);
        active--;
        active += (size_t)start_next();
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    getrusage(RUSAGE_SELF, &after);
    double elapsed = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    double cpu = seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_stime);
    grpc_channel_destroy(channel);
    grpc_completion_queue_shutdown(queue);
    while (grpc_completion_queue_next(queue, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(queue);
    grpc_shutdown();
    printf("{\"workflows\": %zu, \"failed\": %zu, \"seconds\": %.6f, \"per_second\": %.3f, \"cpu_seconds\": %.6f}\n",
           succeeded, failed, elapsed, elapsed > 0 ? (double)succeeded / elapsed : 0.0, cpu);
    return 0;
}
