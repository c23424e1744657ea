"""What the OpenTelemetry stage and interceptors keep per method stays bounded.

Each names a method once and keeps what it made for the last
``KEPT_METHOD_ATTRIBUTES`` used: a client stage serves every client it is given,
whatever their targets, and a server whose handler serves any path (a relay, a
gateway) lets its callers make paths up. Here the paths are made up, one per
call, more than the bound, against a server that answers them all.
"""

from collections.abc import Iterator

import pytest

from grpc_request_client import GrpcClient, RetryPolicy
from grpc_request_client.otel import (
    KEPT_METHOD_ATTRIBUTES,
    AsyncOpenTelemetryServerInterceptor,
    OpenTelemetryClientStage,
    OpenTelemetryServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.AnyMethod import AnyMethod
from tests.Support.ManyCalls import ManyCalls
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.Telemetry import Telemetry

INTERCEPTORS = {"sync": OpenTelemetryServerInterceptor, "aio": AsyncOpenTelemetryServerInterceptor}
MADE_UP = [
    ScriptedRequest("1", service=f"made.Up{number}", response_class=user_pb2.User)
    for number in range(KEPT_METHOD_ATTRIBUTES + 100)
]


@pytest.fixture
def target() -> Iterator[str]:
    with GrpcTestServer.start(AnyMethod(), aio=False) as served:
        yield served.target


async def test_the_client_stage_keeps_the_methods_called_last(
    target: str, telemetry: Telemetry, invoke: Invoke
) -> None:
    stage = OpenTelemetryClientStage(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    with GrpcClient(target, retry=RetryPolicy(max_attempts=1), stages=[stage]) as client:
        await ManyCalls.all_succeed(invoke, client, MADE_UP)

    assert stage._methods.cache_info().currsize == KEPT_METHOD_ATTRIBUTES


async def test_the_server_interceptor_keeps_the_methods_called_last(
    server_kind: str, telemetry: Telemetry
) -> None:
    interceptor = INTERCEPTORS[server_kind](tracer_provider=telemetry.tracer_provider)
    with (
        GrpcTestServer.start(AnyMethod(), interceptors=[interceptor]) as served,
        GrpcClient(served.target) as client,
    ):
        for request in MADE_UP:
            assert (await client.call_async(request)).is_success()

    assert interceptor._tracing._attributes.cache_info().currsize == KEPT_METHOD_ATTRIBUTES
