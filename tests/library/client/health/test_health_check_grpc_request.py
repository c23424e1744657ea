"""Health checks through the client, against real servers with and without grpc.health.v1."""

import math

import grpc
import pytest
from grpc_health.v1.health_pb2 import HealthCheckResponse
from structlog.testing import capture_logs

from grpc_request_client import (
    GrpcClient,
    GrpcClientClosed,
    HealthStatus,
    InvalidGrpcRequest,
    InvalidGrpcTimeout,
    RequestContext,
)
from grpc_request_client.health import HealthCheckGrpcRequest
from tests.Support.RunningServer import RunningServer
from tests.Support.SyncOrAsync import SyncOrAsync


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> SyncOrAsync:
    return SyncOrAsync(request.param)


async def test_a_serving_server_says_so(client: GrpcClient, side: SyncOrAsync) -> None:
    result = await side.check_health(client)

    assert result.status is HealthStatus.SERVING
    assert result.is_serving()
    assert (result.service, result.code, result.details) == ("", grpc.StatusCode.OK, "")


async def test_each_service_has_its_own_status_as_the_server_sets_it(
    server: RunningServer, client: GrpcClient, side: SyncOrAsync
) -> None:
    server.health.set("user.UserService", HealthCheckResponse.NOT_SERVING)
    down = await side.check_health(client, "user.UserService")
    server.health.set("user.UserService", HealthCheckResponse.SERVING)
    up = await side.check_health(client, "user.UserService")

    assert (down.service, down.status, down.code) == (
        "user.UserService",
        HealthStatus.NOT_SERVING,
        grpc.StatusCode.OK,
    )
    assert not down.is_serving()
    assert up.status is HealthStatus.SERVING


async def test_if_not_check_health_fires_for_a_server_that_says_not_serving(
    server: RunningServer, client: GrpcClient, side: SyncOrAsync
) -> None:
    server.health.set("", HealthCheckResponse.NOT_SERVING)
    draining = await side.check_health(client)
    server.health.set("", HealthCheckResponse.SERVING)
    serving = await side.check_health(client)

    assert draining.status is HealthStatus.NOT_SERVING
    assert not draining
    assert serving


async def test_if_not_check_health_fires_for_a_server_nobody_answers_for(
    side: SyncOrAsync,
) -> None:
    with GrpcClient("127.0.0.1:1", default_timeout=10.0) as client:
        result = await side.check_health(client, timeout=5.0)

    assert result.status is HealthStatus.UNREACHABLE
    assert not result


async def test_a_service_the_health_service_does_not_know_is_service_unknown(
    client: GrpcClient, side: SyncOrAsync
) -> None:
    result = await side.check_health(client, "no.SuchService")

    assert result.status is HealthStatus.SERVICE_UNKNOWN
    assert result.code is grpc.StatusCode.NOT_FOUND
    assert not result.is_serving()


async def test_a_server_without_a_health_service_is_unimplemented(side: SyncOrAsync) -> None:
    with RunningServer.start(health=False) as bare, GrpcClient(bare.target) as client:
        result = await side.check_health(client)

    assert result.status is HealthStatus.UNIMPLEMENTED
    assert result.code is grpc.StatusCode.UNIMPLEMENTED


async def test_a_server_nobody_answers_for_is_unreachable(side: SyncOrAsync) -> None:
    with GrpcClient("127.0.0.1:1", default_timeout=10.0) as client:
        result = await side.check_health(client)

    assert result.status is HealthStatus.UNREACHABLE
    assert result.code is grpc.StatusCode.UNAVAILABLE
    assert result.details != ""


async def test_a_check_is_a_call_like_any_other_traced_and_logged(
    client: GrpcClient, side: SyncOrAsync
) -> None:
    with capture_logs() as logs, RequestContext.scope(trace_id="health-trace-0001"):
        await side.check_health(client, timeout=5.0)

    assert [(e["event"], e["service"], e["method"], e["trace_id"]) for e in logs] == [
        ("grpc.call.succeeded", "grpc.health.v1.Health", "Check", "health-trace-0001")
    ]


@pytest.mark.parametrize("timeout", [0, -1, math.nan, True, "1"])
async def test_a_bad_timeout_raises_before_anything_is_sent(
    client: GrpcClient, side: SyncOrAsync, timeout: object
) -> None:
    with capture_logs() as logs, pytest.raises(InvalidGrpcTimeout, match="timeout must be"):
        await side.check_health(client, timeout=timeout)

    assert logs == []


async def test_a_service_name_that_is_not_a_str_raises(
    client: GrpcClient, side: SyncOrAsync
) -> None:
    with pytest.raises(InvalidGrpcRequest, match="with a str"):
        await side.check_health(client, b"user.UserService")


async def test_a_closed_client_refuses_to_check(client: GrpcClient, side: SyncOrAsync) -> None:
    client.close()

    with pytest.raises(GrpcClientClosed):
        await side.check_health(client)


def test_the_request_names_the_standard_method_and_carries_the_timeout() -> None:
    request = HealthCheckGrpcRequest("user.UserService", 2)

    assert repr(request) == "<HealthCheckGrpcRequest /grpc.health.v1.Health/Check>"
    assert request.message().service == "user.UserService"
    assert request.timeout() == 2
    assert request.idempotent() is True  # a read: retried on any retryable code
    assert HealthCheckGrpcRequest().timeout() is None
