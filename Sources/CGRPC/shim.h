// The gRPC C core (Debian libgrpc-dev), as SweepGRPC's C shim sees it. Nothing in Swift imports
// this module directly: Sources/CGRPCShim turns it into a handful of plain functions.
#ifndef SWEEP_CGRPC_SHIM_H
#define SWEEP_CGRPC_SHIM_H

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#endif
