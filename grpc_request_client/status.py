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
