import inspect

import grpc
import pytest

from grpc_request_client import (
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
    remote_errors,
)
from grpc_request_client.status import GrpcStatusErrors

EXPECTED = {
    grpc.StatusCode.CANCELLED: RemoteServiceFailed,
    grpc.StatusCode.UNKNOWN: RemoteServiceFailed,
    grpc.StatusCode.INVALID_ARGUMENT: RemoteRequestInvalid,
    grpc.StatusCode.DEADLINE_EXCEEDED: RemoteServiceTimeout,
    grpc.StatusCode.NOT_FOUND: RemoteResourceNotFound,
    grpc.StatusCode.ALREADY_EXISTS: RemoteResourceConflict,
    grpc.StatusCode.PERMISSION_DENIED: RemoteServicePermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RemoteServiceOverloaded,
    grpc.StatusCode.FAILED_PRECONDITION: RemoteRequestInvalid,
    grpc.StatusCode.ABORTED: RemoteResourceConflict,
    grpc.StatusCode.OUT_OF_RANGE: RemoteRequestInvalid,
    grpc.StatusCode.UNIMPLEMENTED: RemoteServiceFailed,
    grpc.StatusCode.INTERNAL: RemoteServiceFailed,
    grpc.StatusCode.UNAVAILABLE: RemoteServiceUnavailable,
    grpc.StatusCode.DATA_LOSS: RemoteServiceFailed,
    grpc.StatusCode.UNAUTHENTICATED: RemoteServiceUnauthenticated,
}


def test_every_failure_code_has_a_row() -> None:
    assert set(EXPECTED) == set(grpc.StatusCode) - {grpc.StatusCode.OK}


@pytest.mark.parametrize(("code", "error"), EXPECTED.items(), ids=lambda v: getattr(v, "name", ""))
def test_each_code_maps_to_its_domain_error(
    code: grpc.StatusCode, error: type[RemoteServiceError]
) -> None:
    mapped = GrpcStatusErrors.error_for(code, "the server's words")

    assert type(mapped) is error
    assert mapped.status == code.name
    assert mapped.details == "the server's words"


def test_an_ok_status_is_refused_because_it_is_not_a_failure() -> None:
    with pytest.raises(ValueError, match="OK status is not an error"):
        GrpcStatusErrors.error_for(grpc.StatusCode.OK, "")


def test_every_domain_error_is_reachable_from_some_code() -> None:
    exported = {cls for _, cls in inspect.getmembers(remote_errors, inspect.isclass)}

    assert set(EXPECTED.values()) == exported - {RemoteServiceError}
