"""server.address and server.port of a client's target, as the RPC conventions' gRPC page says."""

from collections.abc import Iterator

import pytest
from opentelemetry.trace import SpanKind

from grpc_request_client import GrpcClient
from grpc_request_client.otel import OpenTelemetryClientStage, RpcServerAddress
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.RefusedPort import RefusedPort
from tests.Support.StorageService import StorageService
from tests.Support.Telemetry import Telemetry


@pytest.fixture
def served() -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(StorageService()) as server:
        yield server


def _port(target: str) -> str:
    return target.rsplit(":", 1)[1]


async def test_a_target_of_several_addresses_is_the_address_whole_with_no_port(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    target = f"ipv4:127.0.0.1:{_port(served.target)},{RefusedPort.target()}"
    stage = OpenTelemetryClientStage(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    with GrpcClient(target, stages=[stage]) as client:
        response = await invoke(client, DownloadRequest(method="StatObject"))

    assert response.is_success()
    span = Telemetry.attributes(telemetry.span(SpanKind.CLIENT))
    (point,) = telemetry.points("rpc.client.call.duration")
    for attributes in (span, point.attributes):
        assert attributes["server.address"] == target
        assert "server.port" not in attributes


async def test_a_target_of_one_ipv4_address_is_its_host_and_port(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    port = _port(served.target)
    stage = OpenTelemetryClientStage(tracer_provider=telemetry.tracer_provider)
    with GrpcClient(f"ipv4:127.0.0.1:{port}", stages=[stage]) as client:
        await invoke(client, DownloadRequest(method="StatObject"))

    span = Telemetry.attributes(telemetry.span(SpanKind.CLIENT))
    assert (span["server.address"], span["server.port"]) == ("127.0.0.1", int(port))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "ipv4:10.0.0.1:50051,10.0.0.2:50051",
            {"server.address": "ipv4:10.0.0.1:50051,10.0.0.2:50051"},
        ),
        ("ipv6:[::1]:50051,[::2]:50051", {"server.address": "ipv6:[::1]:50051,[::2]:50051"}),
        ("ipv4:10.0.0.1,10.0.0.2", {"server.address": "ipv4:10.0.0.1,10.0.0.2"}),
        ("ipv4:10.0.0.1:50051", {"server.address": "10.0.0.1", "server.port": 50051}),
        ("ipv6:[::1]:50051", {"server.address": "::1", "server.port": 50051}),
        ("ipv6:::1", {"server.address": "::1"}),
        ("ipv6:2001:db8::7", {"server.address": "2001:db8::7"}),
        ("dns:///users:50051", {"server.address": "users", "server.port": 50051}),
        ("dns://8.8.8.8/users:50051", {"server.address": "users", "server.port": 50051}),
        ("users:50051", {"server.address": "users", "server.port": 50051}),
        ("[::1]:50051", {"server.address": "::1", "server.port": 50051}),
        ("users", {"server.address": "users"}),
        ("unix:///run/users.sock", {"server.address": "/run/users.sock"}),
        ("unix-abstract:users", {"server.address": "users"}),
        ("xds:///users", {"server.address": "xds:///users"}),
    ],
)
def test_each_form_of_target_gives_the_conventions_address(
    target: str, expected: dict[str, object]
) -> None:
    assert RpcServerAddress.of(target) == expected
