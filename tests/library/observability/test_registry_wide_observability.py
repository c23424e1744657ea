"""Tracing and metrics set up once, on the client registry, for every client it makes."""

from collections.abc import Iterator
from typing import Annotated

import pytest
from injector import Injector
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry

from grpc_request_client import GrpcClient, GrpcClientRegistry, GrpcClientsModule
from grpc_request_client.otel import OpenTelemetryClientStage
from grpc_request_client.prometheus import PrometheusClientMetrics
from tests.conftest import Invoke
from tests.Support.MetricSamples import MetricSamples
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.Telemetry import Telemetry

UsersGrpcClient = Annotated[GrpcClient, "users"]


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    recorded = Telemetry()
    yield recorded
    recorded.shutdown()


@pytest.fixture
def clients(
    server: RunningServer, telemetry: Telemetry, registry: CollectorRegistry
) -> Iterator[GrpcClientRegistry]:
    stages = [
        OpenTelemetryClientStage(
            tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
        ),
        PrometheusClientMetrics(registry),
    ]
    services = GrpcClientRegistry({}, stages=stages)
    services.register("users", server.target)
    services.register("orders", server.target)
    yield services
    services.close_all()


def _samples(registry: CollectorRegistry) -> MetricSamples:
    return MetricSamples(registry, "client", service="user.UserService", kinds={"GetUser": "unary"})


async def test_each_registered_client_is_traced_and_counted(
    clients: GrpcClientRegistry, telemetry: Telemetry, registry: CollectorRegistry, invoke: Invoke
) -> None:
    for name in ("users", "orders"):
        assert (await invoke(clients.get(name), ScriptedRequest("7"))).is_success()

    spans = telemetry.spans(SpanKind.CLIENT)
    assert [span.name for span in spans] == ["user.UserService/GetUser"] * 2
    assert len(telemetry.points("rpc.client.call.duration")) == 1  # one series, two calls
    assert telemetry.points("rpc.client.call.duration")[0].count == 2
    assert _samples(registry).handled("GetUser") == {"OK": 2.0}


async def test_a_client_injected_from_the_registry_is_traced_and_counted(
    clients: GrpcClientRegistry, telemetry: Telemetry, registry: CollectorRegistry, invoke: Invoke
) -> None:
    users = Injector([GrpcClientsModule(clients)]).get(UsersGrpcClient)

    assert (await invoke(users, ScriptedRequest("7"))).is_success()

    assert telemetry.span(SpanKind.CLIENT).name == "user.UserService/GetUser"
    assert _samples(registry).value("started_total", "GetUser") == 1.0
    assert _samples(registry).handled("GetUser") == {"OK": 1.0}
