"""Nothing the library keeps grows with the clients made, the request classes used or the calls.

What outlives a client (the channel its settings share, and the process-wide
catalog of resolved methods) is keyed by what stays the same from one client to
the next: a method's path and kind, a ``(service, method, declared reply
class)`` triple. And what a process may make as it goes (request classes
defined in a function, made-up method names) is kept for the last ``KEPT_*``
used only, by the catalog and by each client. Each test counts what a cache
holds, which is exact, or what is still alive; the first one also holds the Python
memory 2,000 clients leave behind (some 35 kB, pytest's own bookkeeping
included) to ``GROWTH_LIMIT``, under half of what they left (1.3 MB through
``call_async``, 2.2 MB through ``call``) while the channel they shared kept a
multicallable for each of them.
"""

import gc
import tracemalloc
import weakref
from collections.abc import Iterator

import pytest
from google.protobuf.message import Message

from grpc_request_client import BaseGrpcRequest, ChannelRegistry, GrpcClient
from grpc_request_client.invocation import _METHODS, KEPT_REQUEST_CLASSES
from grpc_request_client.methods import KEPT_METHODS, GrpcMethod, GrpcMethodCatalog
from grpc_request_client.resilience import SystemClock
from grpc_request_client.testing import GrpcTestServer
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.AnyMethod import AnyMethod
from tests.Support.ManyCalls import ManyCalls
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

CLIENTS = 2_000
GROWTH_LIMIT = 512 * 1024  # bytes of Python memory 2,000 clients may leave behind


@pytest.fixture
def target() -> Iterator[str]:
    with GrpcTestServer.start(AnyMethod(), aio=False) as served:
        yield served.target


@pytest.fixture
def registry() -> Iterator[ChannelRegistry]:
    """A registry of the test's own, so its channel is the one the test counts in."""
    shared = ChannelRegistry()
    yield shared
    shared.close_idle()


async def _through_a_new_client(
    invoke: Invoke, target: str, registry: ChannelRegistry, clock: SystemClock
) -> None:
    with GrpcClient(target, clock=clock, channel_registry=registry) as client:
        response = await invoke(client, ScriptedRequest("7"))
    assert response.is_success()


def _multicallables(registry: ChannelRegistry, client: GrpcClient, clock: SystemClock) -> int:
    """What the channel ``client``'s settings share keeps, both APIs together."""
    shared = registry.acquire(client.settings, clock)
    try:
        return shared.sync.kept() + shared.aio.kept()
    finally:
        registry.release(shared)


async def test_clients_made_called_through_and_closed_leave_nothing_behind(
    invoke: Invoke, target: str, registry: ChannelRegistry
) -> None:
    clock = SystemClock()
    await _through_a_new_client(invoke, target, registry, clock)  # first uses: grpc, descriptors
    methods = _METHODS.kept()
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(CLIENTS):
            await _through_a_new_client(invoke, target, registry, clock)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    with GrpcClient(target, clock=clock, channel_registry=registry) as client:
        assert _multicallables(registry, client, clock) == 1
    assert registry.open_channels() == 1
    assert _METHODS.kept() == methods
    assert growth < GROWTH_LIMIT, f"{CLIENTS} clients left {growth} bytes behind"


def _request_class(number: int) -> type[BaseGrpcRequest[user_pb2.User]]:
    """A request class made as some code makes them: anew, inside a function."""

    class MadeUp(BaseGrpcRequest[user_pb2.User]):
        def service_name(self) -> str:
            return "user.UserService"

        def method_name(self) -> str:
            return "GetUser"

        def message(self) -> Message:
            return user_pb2.GetUserRequest(user_id=str(number))

        def timeout(self) -> float:  # one default overridden: each class has its own answer
            return 10.0

    return MadeUp


async def test_request_classes_made_as_a_process_goes_are_kept_up_to_the_bound(
    invoke: Invoke, target: str
) -> None:
    classes = [_request_class(number) for number in range(KEPT_REQUEST_CLASSES + 100)]
    alive = [weakref.ref(made) for made in classes]
    with GrpcClient(target) as client:  # a client that lives on, as a service's does
        await ManyCalls.all_succeed(invoke, client, [made() for made in classes])
        del classes
        gc.collect()

        assert sum(ref() is not None for ref in alive) <= KEPT_REQUEST_CLASSES


async def test_method_names_made_up_as_a_process_goes_are_kept_up_to_the_bound(
    invoke: Invoke, target: str
) -> None:
    requests = [
        ScriptedRequest("1", service=f"made.Up{number}", response_class=user_pb2.User)
        for number in range(KEPT_METHODS + 100)
    ]
    with GrpcClient(target, default_timeout=10.0) as client:
        await ManyCalls.all_succeed(invoke, client, requests)
        gc.collect()

        assert _METHODS.kept() <= KEPT_METHODS
        assert sum(isinstance(kept, GrpcMethod) for kept in gc.get_objects()) <= KEPT_METHODS


def test_the_catalog_keeps_the_methods_used_last_and_forgets_the_rest() -> None:
    catalog = GrpcMethodCatalog(kept=2)
    get_user = catalog.resolve("user.UserService", "GetUser", None)
    catalog.resolve("user.UserService", "CreateUser", None)
    assert catalog.resolve("user.UserService", "GetUser", None) is get_user  # used last now
    catalog.resolve("user.UserService", "ListUsers", None)  # CreateUser falls out

    assert catalog.kept() == 2
    assert catalog.resolve("user.UserService", "GetUser", None) is get_user


class _Plain(BaseGrpcRequest[user_pb2.User]):
    """A request that keeps every default: its class is changed by the test below."""

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "GetUser"

    def message(self) -> Message:
        return user_pb2.GetUserRequest(user_id="1")


async def test_a_request_class_changed_between_two_clients_is_asked_anew_by_the_second(
    server: RunningServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a class keeps is remembered per client: a test that patches a class is obeyed."""
    with GrpcClient(server.target) as first:
        assert (await invoke(first, _Plain())).is_success()
    monkeypatch.setattr(_Plain, "metadata", lambda self: {"x-patched": "yes"})
    with GrpcClient(server.target) as second:
        assert (await invoke(second, _Plain())).is_success()

    assert [received.get("x-patched") for received in server.service.received] == [None, "yes"]
