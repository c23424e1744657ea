"""Which domain error each gRPC status code maps to."""

import grpc

from grpc_request_client.remote_errors import (
    RemoteRequestInvalid,
    RemoteResourceConflict,
    RemoteResourceNotFound,
    RemoteServiceError,
    RemoteServiceFailed,
    RemoteServiceOverloaded,
    RemoteServicePermissionDenied,
    RemoteServiceTimeout,
    RemoteServiceUnauthenticated,
    RemoteServiceUnavailable,
)

# The codes that make a server span an error in OpenTelemetry's gRPC semantic conventions
# (docs/rpc/grpc.md, "Server Span", note on rpc.response.status_code): the server failed, or
# could not be reached. Every other non-OK code is the server's answer about the request.
SERVER_ERROR_CODES = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
_BY_CODE: dict[grpc.StatusCode, type[RemoteServiceError]] = {
    grpc.StatusCode.UNAVAILABLE: RemoteServiceUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: RemoteServiceTimeout,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RemoteServiceOverloaded,
    grpc.StatusCode.UNAUTHENTICATED: RemoteServiceUnauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: RemoteServicePermissionDenied,
    grpc.StatusCode.NOT_FOUND: RemoteResourceNotFound,
    grpc.StatusCode.ALREADY_EXISTS: RemoteResourceConflict,
    grpc.StatusCode.ABORTED: RemoteResourceConflict,
    grpc.StatusCode.INVALID_ARGUMENT: RemoteRequestInvalid,
    grpc.StatusCode.FAILED_PRECONDITION: RemoteRequestInvalid,
    grpc.StatusCode.OUT_OF_RANGE: RemoteRequestInvalid,
}


class GrpcStatusErrors:
    """The one table from gRPC status codes to the domain's remote-failure errors.

    Kept in one place so every adapter reads a code the same way. Codes with
    no domain meaning of their own (UNKNOWN, INTERNAL, UNIMPLEMENTED,
    DATA_LOSS, CANCELLED) are all "the other side failed".
    """

    @staticmethod
    def error_for(code: grpc.StatusCode, details: str) -> RemoteServiceError:
        if code is grpc.StatusCode.OK:
            raise ValueError("an OK status is not an error")
        return _BY_CODE.get(code, RemoteServiceFailed)(code.name, details)
