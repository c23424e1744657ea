import dataclasses

import grpc
import pytest
from grpc_health.v1.health_pb2 import HealthCheckResponse

from grpc_request_client import GrpcResponse, HealthCheckResult, HealthStatus


def _answered(status: int) -> GrpcResponse:
    return GrpcResponse(grpc.StatusCode.OK, HealthCheckResponse(status=status))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (HealthCheckResponse.SERVING, HealthStatus.SERVING),
        (HealthCheckResponse.NOT_SERVING, HealthStatus.NOT_SERVING),
        (HealthCheckResponse.UNKNOWN, HealthStatus.UNKNOWN),
        (HealthCheckResponse.SERVICE_UNKNOWN, HealthStatus.SERVICE_UNKNOWN),
        (7, HealthStatus.UNKNOWN),  # a status from a later version of the protocol
    ],
)
def test_an_answer_carries_the_servers_status(answer: int, expected: HealthStatus) -> None:
    result = HealthCheckResult.from_response("user.UserService", _answered(answer))

    assert result == HealthCheckResult("user.UserService", expected, grpc.StatusCode.OK, "")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (grpc.StatusCode.NOT_FOUND, HealthStatus.SERVICE_UNKNOWN),
        (grpc.StatusCode.UNIMPLEMENTED, HealthStatus.UNIMPLEMENTED),
        (grpc.StatusCode.UNAVAILABLE, HealthStatus.UNREACHABLE),
        (grpc.StatusCode.DEADLINE_EXCEEDED, HealthStatus.UNREACHABLE),
        (grpc.StatusCode.PERMISSION_DENIED, HealthStatus.UNKNOWN),
        (grpc.StatusCode.CANCELLED, HealthStatus.UNKNOWN),
        (grpc.StatusCode.INTERNAL, HealthStatus.UNKNOWN),
    ],
)
def test_a_failed_check_keeps_its_code_and_details_beside_the_status(
    code: grpc.StatusCode, expected: HealthStatus
) -> None:
    result = HealthCheckResult.from_response("", GrpcResponse(code, details="why"))

    assert result == HealthCheckResult("", expected, code, "why")


@pytest.mark.parametrize("status", list(HealthStatus))
def test_only_serving_is_serving(status: HealthStatus) -> None:
    result = HealthCheckResult("", status, grpc.StatusCode.OK)

    assert result.is_serving() is (status is HealthStatus.SERVING)


def test_a_result_cannot_be_changed() -> None:
    result = HealthCheckResult("", HealthStatus.SERVING, grpc.StatusCode.OK)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = HealthStatus.NOT_SERVING  # type: ignore[misc]


@pytest.mark.parametrize("status", list(HealthStatus))
def test_a_result_is_truthy_only_when_serving(status: HealthStatus) -> None:
    result = HealthCheckResult("", status, grpc.StatusCode.OK)

    assert bool(result) is (status is HealthStatus.SERVING)
