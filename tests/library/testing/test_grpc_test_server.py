import queue
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health_pb2 import HealthCheckRequest, HealthCheckResponse

from app.Demo.DemoProductService import DemoProductService
from app.Demo.DemoUserService import DemoUserService
from grpc_request_client import GrpcClient, HealthStatus
from grpc_request_client.testing import (
    GrpcTestServer,
    InvalidGrpcTestServerSettings,
    InvalidServicer,
)
from protos import catalog_pb2, storage_pb2, storage_pb2_grpc, user_pb2, user_pb2_grpc
from tests.conftest import Invoke
from tests.Support.AsyncStorageService import AsyncStorageService
from tests.Support.Certificates import Certificates
from tests.Support.RecordingUserService import RecordingUserService
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.StorageService import StorageService
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


class AioMethodLog(grpc.aio.ServerInterceptor):
    """``MethodLog`` for a grpc.aio server."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        self.paths.append(handler_call_details.method)
        return await continuation(handler_call_details)


class AsyncUsers(user_pb2_grpc.UserServiceServicer):
    """An aio servicer that writes one method and leaves the others to its generated base."""

    async def GetUser(self, request: Any, context: Any) -> Any:  # noqa: N802  # grpc's name
        return user_pb2.User(id=request.user_id, name=f"aio user {request.user_id}")


class HalfAsyncUsers(user_pb2_grpc.UserServiceServicer):
    async def GetUser(self, request: Any, context: Any) -> Any:  # noqa: N802  # grpc's name
        return user_pb2.User()

    def CreateUser(self, request: Any, context: Any) -> Any:  # noqa: N802  # grpc's name
        return user_pb2.User()


def _test_server_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("grpc-test-server")}


def _aio_pollers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.endswith("(_poll_wrapper)")}


def _download(chunks: int, size: int = 2) -> storage_pb2.DownloadRequest:
    return storage_pb2.DownloadRequest(object_key="k", chunks=chunks, chunk_size=size)


def _chunks(count: int) -> list[storage_pb2.ObjectChunk]:
    return [storage_pb2.ObjectChunk(object_key="k", offset=i, data=b"ab") for i in range(count)]


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


def test_an_aio_servicer_is_served_to_a_blocking_client_on_its_own_thread() -> None:
    before = _test_server_threads()

    with (
        GrpcTestServer.start(AsyncStorageService()) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        stub = storage_pb2_grpc.ObjectStorageStub(channel)
        stat = stub.StatObject(_download(3, size=4), timeout=5)
        downloaded = list(stub.DownloadObject(_download(3), timeout=5))
        uploaded = stub.UploadObject(iter(_chunks(4)), timeout=5)
        requests: queue.Queue[storage_pb2.ObjectChunk | None] = queue.Queue()
        answers = stub.ChecksumChunks(iter(requests.get, None), timeout=5)
        requests.put(_chunks(1)[0])
        first = next(answers)
        requests.put(None)
        rest = list(answers)
        serving = (server.aio, repr(server))

    assert (stat.size, stat.chunks) == (12, 3)
    assert [chunk.offset for chunk in downloaded] == [0, 2, 4]
    assert (uploaded.size, uploaded.chunks) == (8, 4)
    assert (first.size, rest) == (2, [])
    assert serving == (True, f"<GrpcTestServer {server.target} aio serving>")
    assert repr(server) == f"<GrpcTestServer {server.target} aio stopped>"
    assert _test_server_threads() <= before


async def test_an_aio_servicer_is_served_to_an_aio_client_in_the_tests_own_loop() -> None:
    with GrpcTestServer.start(AsyncStorageService()) as server:
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = storage_pb2_grpc.ObjectStorageStub(channel)
            stat = await stub.StatObject(_download(2, size=5), timeout=5)
            downloaded = [chunk async for chunk in stub.DownloadObject(_download(3), timeout=5)]
            uploaded = await stub.UploadObject(iter(_chunks(2)), timeout=5)
            bidi = stub.ChecksumChunks(timeout=5)
            await bidi.write(_chunks(1)[0])
            first = await bidi.read()
            await bidi.done_writing()
            last = await bidi.read()

    assert (stat.size, len(downloaded), uploaded.chunks) == (10, 3, 2)
    assert first.crc32 == f"{0x9E83486D:08x}"  # zlib.crc32(b"ab")
    assert last is grpc.aio.EOF  # type: ignore[attr-defined]  # not in the stubs


async def test_the_fixture_starts_and_stops_an_aio_server_as_it_does_a_sync_one(
    grpc_test_server: Start,
) -> None:
    storage = AsyncStorageService()
    server = grpc_test_server(storage)

    async with grpc.aio.insecure_channel(server.target) as channel:
        stub = storage_pb2_grpc.ObjectStorageStub(channel)
        await stub.StatObject(_download(1), timeout=5)

    assert server.aio
    assert storage.wait_for_ended(1, timeout=5)[0].ended == "ok"


def test_an_aio_server_answers_what_its_servicer_leaves_unwritten_as_unimplemented() -> None:
    with (
        GrpcTestServer.start(AsyncUsers(), max_workers=1) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        stub = user_pb2_grpc.UserServiceStub(channel)
        found = stub.GetUser(user_pb2.GetUserRequest(user_id="7"), timeout=5)
        with pytest.raises(grpc.RpcError) as unwritten:
            stub.CreateUser(user_pb2.CreateUserRequest(name="x"), timeout=5)

    assert found.name == "aio user 7"
    assert unwritten.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_an_aio_generic_handler_is_served_when_aio_is_asked_for() -> None:
    async def get_user(request: Any, context: Any) -> Any:
        return user_pb2.User(name="from a handler")

    handler = grpc.method_handlers_generic_handler(
        "user.UserService",
        {
            "GetUser": grpc.unary_unary_rpc_method_handler(
                get_user, user_pb2.GetUserRequest.FromString, user_pb2.User.SerializeToString
            )
        },
    )
    log = AioMethodLog()

    with (
        GrpcTestServer.start(handler, aio=True, interceptors=[log]) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        found = user_pb2_grpc.UserServiceStub(channel).GetUser(user_pb2.GetUserRequest(), timeout=5)

    assert found.name == "from a handler"
    assert log.paths == ["/user.UserService/GetUser"]


def test_an_aio_server_serves_tls_only_with_credentials(certificates: Certificates) -> None:
    trusted = grpc.ssl_channel_credentials(root_certificates=certificates.ca.cert_pem.bytes())

    with (
        GrpcTestServer.start(AsyncUsers(), credentials=certificates.server_credentials()) as server,
        grpc.secure_channel(server.target, trusted) as channel,
    ):
        found = user_pb2_grpc.UserServiceStub(channel).GetUser(user_pb2.GetUserRequest(), timeout=5)

    assert found.name == "aio user "


async def test_health_on_an_aio_server_is_set_from_the_test_and_watched() -> None:
    with GrpcTestServer.start(AsyncStorageService()) as server:
        async with grpc.aio.insecure_channel(server.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            service = HealthCheckRequest(service="storage.ObjectStorage")
            checked = await health.Check(service, timeout=5)
            watch = health.Watch(service, timeout=5)
            first = await watch.read()
            server.health.set("storage.ObjectStorage", HealthCheckResponse.NOT_SERVING)
            changed = await watch.read()
            rechecked = await health.Check(service, timeout=5)
            watch.cancel()

    assert checked.status == HealthCheckResponse.SERVING
    assert (first.status, changed.status) == (
        HealthCheckResponse.SERVING,
        HealthCheckResponse.NOT_SERVING,
    )
    assert rechecked.status == HealthCheckResponse.NOT_SERVING
    server.health.set("storage.ObjectStorage", HealthCheckResponse.SERVING)  # stopped: no-op


def test_an_aio_server_without_health_serves_none() -> None:
    with (
        GrpcTestServer.start(AsyncStorageService(), health=False) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        with pytest.raises(grpc.RpcError) as checked:
            health_pb2_grpc.HealthStub(channel).Check(HealthCheckRequest(), timeout=5)
        with pytest.raises(InvalidGrpcTestServerSettings, match="started with health=False"):
            server.health  # noqa: B018  # the property is what raises

    assert checked.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_stopping_an_aio_server_cancels_a_stream_in_flight_and_leaves_no_thread() -> None:
    before, pollers = _test_server_threads(), _aio_pollers()
    storage = AsyncStorageService()
    server = GrpcTestServer.start(storage)

    with grpc.insecure_channel(server.target) as channel:
        stream = storage_pb2_grpc.ObjectStorageStub(channel).DownloadObject(
            _download(1000), metadata=(("delay-ms", "20"),), timeout=5
        )
        next(stream)
        server.stop()
        with pytest.raises(grpc.RpcError) as stopped:
            list(stream)

    assert stopped.value.code() in {grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE}
    assert storage.wait_for_ended(1, timeout=5)[0].ended == "cancelled"
    assert _test_server_threads() <= before
    assert _aio_pollers() <= pollers  # the server was freed, so grpc.aio's poller could stop


def test_an_aio_server_given_grace_lets_a_short_call_finish() -> None:
    storage = AsyncStorageService()
    server = GrpcTestServer.start(storage)

    with grpc.insecure_channel(server.target) as channel, ThreadPoolExecutor(1) as pool:
        stub = storage_pb2_grpc.ObjectStorageStub(channel)
        pending = pool.submit(stub.StatObject, _download(1), metadata=(("delay-ms", "50"),))
        while not storage.records:
            time.sleep(0.001)
        server.stop(grace=5.0)
        answered = pending.result(timeout=5)

    assert answered.chunks == 1
    assert storage.records[0].ended == "ok"


@pytest.mark.parametrize(
    ("servicers", "options", "says"),
    [
        pytest.param(
            (AsyncStorageService(), RecordingUserService()),
            {},
            "one server serves one kind, grpc.aio or sync, but it was given grpc.aio "
            "AsyncStorageService \\(async def methods\\) and sync RecordingUserService "
            "\\(def methods\\); start a GrpcTestServer for each kind",
            id="aio-and-sync-servicers",
        ),
        pytest.param(
            (AsyncStorageService(),),
            {"interceptors": [MethodLog()]},
            "and sync MethodLog \\(grpc.ServerInterceptor\\)",
            id="sync-interceptor-on-aio",
        ),
        pytest.param(
            (StorageService(),),
            {"interceptors": [AioMethodLog()]},
            "grpc.aio AioMethodLog \\(grpc.aio.ServerInterceptor\\) and sync StorageService",
            id="aio-interceptor-on-sync",
        ),
        pytest.param(
            (HalfAsyncUsers(),),
            {},
            "HalfAsyncUsers mixes async def rpc methods \\(GetUser\\) with plain def ones "
            "\\(CreateUser\\)",
            id="one-servicer-of-both",
        ),
        pytest.param(
            (StorageService(),), {"aio": True}, "aio=True, but it was given sync Stor", id="aio"
        ),
        pytest.param(
            (AsyncUsers(),), {"aio": False}, "aio=False, but it was given grpc.aio Asyn", id="sync"
        ),
        pytest.param((AsyncUsers(),), {"aio": "yes"}, "aio must be True, False or None", id="str"),
    ],
)
def test_a_server_of_both_kinds_is_refused_by_name_before_anything_starts(
    servicers: tuple[object, ...], options: dict[str, Any], says: str
) -> None:
    before = _test_server_threads()

    with pytest.raises(InvalidGrpcTestServerSettings, match=says):
        GrpcTestServer.start(*servicers, **options)

    assert _test_server_threads() <= before


def test_an_aio_server_on_a_port_in_use_is_refused_and_leaves_no_thread_behind(
    held_port: int,
) -> None:
    before = _test_server_threads()

    with pytest.raises(InvalidGrpcTestServerSettings, match=f"cannot listen on .*:{held_port}"):
        GrpcTestServer.start(AsyncStorageService(), port=held_port)

    assert _test_server_threads() <= before
