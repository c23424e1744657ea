import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from grpc_health.v1.health_pb2 import HealthCheckResponse

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthStatus import HealthStatus
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors import (
    InvalidGrpcTestServerSettings,
    InvalidServicer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.GrpcTestServer import GrpcTestServer
from app.Demo.DemoProductService import DemoProductService
from app.Demo.DemoUserService import DemoUserService
from protos import catalog_pb2, user_pb2_grpc
from tests.conftest import Invoke
from tests.Support.Certificates import Certificates
from tests.Support.RecordingUserService import RecordingUserService
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.SyncOrAsync import SyncOrAsync

Start = Callable[..., GrpcTestServer]


class MethodLog(grpc.ServerInterceptor):
    """Remembers the path of every call it lets through."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        self.paths.append(handler_call_details.method)
        return continuation(handler_call_details)


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> SyncOrAsync:
    return SyncOrAsync(request.param)


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another socket listens on, without the SO_REUSEPORT grpc would share it through."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _test_server_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("grpc-test-server")}


async def test_a_generated_servicer_is_served_over_the_network(
    grpc_test_server: Start, invoke: Invoke
) -> None:
    service = RecordingUserService()
    server = grpc_test_server(service)

    with GrpcClient(server.target) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.message().name == "user 7"
    assert len(service.received) == 1
    assert server.services == ("user.UserService",)
    assert server.target == f"127.0.0.1:{server.port}"


async def test_a_method_the_servicer_leaves_to_its_generated_base_is_unimplemented(
    grpc_test_server: Start, invoke: Invoke
) -> None:
    server = grpc_test_server(user_pb2_grpc.UserServiceServicer())

    with GrpcClient(server.target) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code() is grpc.StatusCode.UNIMPLEMENTED
    assert response.details() == "Method not implemented!"


async def test_servicers_and_generic_handlers_are_served_side_by_side(
    grpc_test_server: Start, invoke: Invoke
) -> None:
    server = grpc_test_server(RecordingUserService(), DemoProductService().rpc_handler())
    product = ScriptedRequest(
        service="catalog.ProductService",
        method="GetProduct",
        message=catalog_pb2.GetProductRequest(product_id="prod_123"),
    )

    with GrpcClient(server.target) as client:
        user = await invoke(client, ScriptedRequest("7"))
        found = await invoke(client, product)

    assert (user.is_success(), found.is_success()) == (True, True)
    assert server.services == ("user.UserService", "catalog.ProductService")


async def test_every_served_service_is_serving_to_health_checks(
    grpc_test_server: Start, side: SyncOrAsync
) -> None:
    server = grpc_test_server(RecordingUserService(), DemoProductService().rpc_handler())

    with GrpcClient(server.target) as client:
        statuses = [
            (await side.check_health(client, name)).status
            for name in ("", "user.UserService", "catalog.ProductService", "no.SuchService")
        ]
        server.health.set("user.UserService", HealthCheckResponse.NOT_SERVING)
        changed = await side.check_health(client, "user.UserService")

    assert statuses == [HealthStatus.SERVING] * 3 + [HealthStatus.SERVICE_UNKNOWN]
    assert changed.status is HealthStatus.NOT_SERVING


async def test_without_health_there_is_no_health_service(
    grpc_test_server: Start, side: SyncOrAsync
) -> None:
    server = grpc_test_server(RecordingUserService(), health=False)

    with GrpcClient(server.target) as client:
        result = await side.check_health(client)

    assert result.status is HealthStatus.UNIMPLEMENTED
    with pytest.raises(InvalidGrpcTestServerSettings, match="started with health=False"):
        server.health  # noqa: B018  # the property is what raises


async def test_interceptors_see_every_call(grpc_test_server: Start, invoke: Invoke) -> None:
    log = MethodLog()
    server = grpc_test_server(RecordingUserService(), interceptors=[log])

    with GrpcClient(server.target) as client:
        await invoke(client, ScriptedRequest("7"))

    assert log.paths == ["/user.UserService/GetUser"]


async def test_with_credentials_it_serves_tls_only(
    grpc_test_server: Start, invoke: Invoke, certificates: Certificates
) -> None:
    server = grpc_test_server(RecordingUserService(), credentials=certificates.server_credentials())

    with GrpcClient(server.target, tls=certificates.client_tls()) as secure:
        over_tls = await invoke(secure, ScriptedRequest("7"))
    with GrpcClient(server.target, default_timeout=5.0) as plaintext:
        refused = await invoke(plaintext, ScriptedRequest("7"))

    assert over_tls.message().name == "user 7"
    assert refused.status_code() is grpc.StatusCode.UNAVAILABLE


async def test_localhost_binds_every_loopback_address(
    grpc_test_server: Start, invoke: Invoke
) -> None:
    server = grpc_test_server(RecordingUserService(), host="localhost")

    with GrpcClient(server.target) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert server.target.startswith("localhost:")
    assert response.is_success()


def test_a_stopped_server_can_come_back_on_its_port() -> None:
    with GrpcTestServer.start(RecordingUserService()) as first:
        port = first.port
    with GrpcTestServer.start(RecordingUserService(), port=port) as second:
        assert second.port == port


def test_stopping_cancels_calls_in_flight_and_joins_its_threads() -> None:
    before = _test_server_threads()
    with (
        RunningServer.start() as running,
        GrpcClient(running.target) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        pending = pool.submit(client.call, ScriptedRequest("slow", timeout=10.0))
        running.wait_until_received(1)
        running.served.stop()
        response = pending.result()

    assert response.status_code() in {grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE}
    assert _test_server_threads() <= before


async def test_stop_is_final_and_safe_twice(invoke: Invoke) -> None:
    server = GrpcTestServer.start(RecordingUserService())
    assert repr(server) == f"<GrpcTestServer {server.target} serving>"

    server.stop()
    server.stop()
    with GrpcClient(server.target, default_timeout=5.0) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert repr(server) == f"<GrpcTestServer {server.target} stopped>"
    assert response.status_code() is grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("servicers", "says"),
    [
        pytest.param((RecordingUserService,), "is a class; pass an instance", id="a-class"),
        pytest.param((object(),), "object is neither a generated servicer", id="object"),
        pytest.param((DemoUserService(),), "DemoUserService is neither", id="not-a-handler"),
        pytest.param((RecordingUserService(), RecordingUserService()), "served twice", id="twice"),
    ],
)
def test_what_is_not_a_servicer_is_refused_before_anything_starts(
    servicers: tuple[object, ...], says: str
) -> None:
    before = _test_server_threads()

    with pytest.raises(InvalidServicer, match=says):
        GrpcTestServer.start(*servicers)

    assert _test_server_threads() <= before


@pytest.mark.parametrize(
    ("options", "says"),
    [
        pytest.param({"max_workers": 0}, "max_workers must be an int of at least 1, got 0", id="0"),
        pytest.param({"max_workers": "8"}, "max_workers .* got '8'", id="workers-str"),
        pytest.param({"max_workers": True}, "max_workers .* got True", id="workers-bool"),
        pytest.param({"interceptors": None}, "interceptors must be a sequence", id="none"),
        pytest.param({"interceptors": MethodLog()}, "a sequence of grpc.ServerInterceptor", id="1"),
        pytest.param({"interceptors": [object()]}, "of grpc.ServerInterceptor", id="not-one"),
        pytest.param(
            {"credentials": "server.pem"},
            "credentials must be grpc.ssl_server_credentials\\(...\\) or None, got str",
            id="credentials-path",
        ),
        pytest.param(
            {"credentials": grpc.ssl_channel_credentials()},
            "got ChannelCredentials",
            id="client-credentials",
        ),
        pytest.param({"host": ""}, "host must be a name or an address, got ''", id="no-host"),
        pytest.param({"host": "local host"}, "host must be", id="host-with-space"),
        pytest.param({"host": 127}, "host must be", id="host-int"),
        pytest.param({"port": -1}, "port must be an int from 0 \\(a free port\\)", id="negative"),
        pytest.param({"port": 65536}, "to 65535, got 65536", id="port-too-big"),
        pytest.param({"port": "50051"}, "got '50051'", id="port-str"),
    ],
)
def test_options_it_cannot_start_with_are_refused_by_name(
    options: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidGrpcTestServerSettings, match=says):
        GrpcTestServer.start(RecordingUserService(), **options)  # type: ignore[arg-type]


def test_a_port_in_use_is_refused_and_leaves_no_thread_behind(held_port: int) -> None:
    before = _test_server_threads()

    with pytest.raises(
        InvalidGrpcTestServerSettings, match=f"cannot listen on 127.0.0.1:{held_port}"
    ):
        GrpcTestServer.start(RecordingUserService(), port=held_port)

    assert _test_server_threads() <= before
