import asyncio
import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from grpc_request_client import (
    DnsServiceRegistry,
    EnvironmentServiceRegistry,
    GrpcClient,
    GrpcClientClosed,
    ServiceDiscoveryGrpcClient,
    ServiceNotFound,
    ServiceRegistry,
    StaticServiceRegistry,
)
from grpc_request_client.testing import FakeGrpcClient
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.ForkedChild import ForkedChild
from tests.Support.RunningBackends import RunningBackends
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


class CountingRegistry(ServiceRegistry):
    """Knows every service at one target and counts how often it was asked."""

    def __init__(self, target: str, pause: float = 0.0) -> None:
        self.target = target
        self.pause = pause
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def discover(self, service_name: str) -> str:
        time.sleep(self.pause)  # widens the window in which concurrent first uses could race
        with self._lock:
            self.asked.append(service_name)
        return self.target


def _static(server: RunningServer) -> ServiceRegistry:
    return StaticServiceRegistry({"user-service": server.target})


def _environment(server: RunningServer) -> ServiceRegistry:
    host, port = server.target.rsplit(":", 1)
    return EnvironmentServiceRegistry(
        {"USER_SERVICE_GRPC_HOST": host, "USER_SERVICE_GRPC_PORT": port}
    )


def _dns(server: RunningServer) -> ServiceRegistry:
    return DnsServiceRegistry({"user-service": server.target})


REGISTRIES: dict[str, Callable[[RunningServer], ServiceRegistry]] = {
    "static": _static,
    "environment": _environment,
    "dns": _dns,
}


@pytest.fixture
def localhost_server() -> Iterator[RunningServer]:
    with RunningServer.start(host="localhost") as running:
        yield running


@pytest.mark.parametrize("registry", sorted(REGISTRIES))
async def test_the_seed_example_calls_the_service_each_registry_finds(
    registry: str, localhost_server: RunningServer
) -> None:
    with ServiceDiscoveryGrpcClient(REGISTRIES[registry](localhost_server)) as services:
        synchronous = await asyncio.to_thread(
            services.call_service, "user-service", ScriptedRequest("7")
        )
        asynchronous = await services.call_service_async("user-service", ScriptedRequest("8"))

    assert synchronous.message().name == "user 7"
    assert asynchronous.message().name == "user 8"
    assert len(localhost_server.service.received) == 2


def test_each_service_is_discovered_once_and_its_client_reused(server: RunningServer) -> None:
    registry = CountingRegistry(server.target)

    with ServiceDiscoveryGrpcClient(registry) as services:
        first = services.get_client("users")
        responses = [services.call_service("users", ScriptedRequest("7")) for _ in range(3)]
        other = services.get_client("orders")

    assert first is not other
    assert registry.asked == ["users", "orders"]
    assert [response.is_success() for response in responses] == [True, True, True]
    assert len(set(server.service.peers)) == 1  # one connection for every call


def test_concurrent_first_uses_build_one_client(server: RunningServer) -> None:
    registry = CountingRegistry(server.target, pause=0.05)

    with ServiceDiscoveryGrpcClient(registry) as services, ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(services.get_client, ["users"] * 8))

    assert registry.asked == ["users"]
    assert len({id(client) for client in clients}) == 1


def test_an_unknown_service_raises_before_any_client_is_built(server: RunningServer) -> None:
    built: list[str] = []

    def factory(target: str) -> GrpcClient:
        built.append(target)
        return GrpcClient(target)

    services = ServiceDiscoveryGrpcClient(StaticServiceRegistry({}), client_factory=factory)
    with services, pytest.raises(ServiceNotFound, match="service 'users' not found"):
        services.call_service("users", ScriptedRequest("7"))

    assert built == []
    assert server.service.received == []


async def test_client_settings_go_through_the_factory() -> None:
    with RunningBackends.start(3) as backends:
        services = ServiceDiscoveryGrpcClient(
            StaticServiceRegistry({"users": backends.target}),
            client_factory=functools.partial(GrpcClient, load_balancing="round_robin"),
        )
        async with services:
            for _ in range(30):
                await services.call_service_async("users", ScriptedRequest("7"))
        answered = backends.answered()

    assert sum(answered) == 30
    assert min(answered) > 0, answered


async def test_each_service_is_called_through_the_client_built_for_its_target(
    invoke: Invoke,
) -> None:
    registry = StaticServiceRegistry({"users": "users:50051", "orders": "orders:50051"})
    users, orders = FakeGrpcClient("users:50051"), FakeGrpcClient("orders:50051")
    users.reply("user.UserService", "GetUser", user_pb2.User(name="from users"))
    fakes = {users.settings.target: users, orders.settings.target: orders}

    with users, orders, ServiceDiscoveryGrpcClient(registry, fakes.__getitem__) as services:
        response = await invoke(services.get_client("users"), ScriptedRequest("7"))

    assert response.message().name == "from users"
    assert [call.message.user_id for call in users.calls] == ["7"]
    assert orders.calls == ()


def test_close_closes_every_client_and_refuses_new_ones() -> None:
    built: list[FakeGrpcClient] = []

    def factory(target: str) -> GrpcClient:
        built.append(FakeGrpcClient(target))
        return built[-1]

    registry = StaticServiceRegistry({"users": "users:50051", "orders": "orders:50051"})
    services = ServiceDiscoveryGrpcClient(registry, client_factory=factory)
    services.get_client("users")
    services.get_client("orders")

    services.close()
    services.close()

    assert [repr(fake) for fake in built] == [
        "<FakeGrpcClient users:50051 closed>",
        "<FakeGrpcClient orders:50051 closed>",
    ]
    with pytest.raises(
        GrpcClientClosed, match="ServiceDiscoveryGrpcClient StaticServiceRegistry closed"
    ):
        services.get_client("orders")
    with pytest.raises(GrpcClientClosed):
        services.call_service("users", ScriptedRequest("7"))
    assert [fake.calls for fake in built] == [(), ()]


async def test_aclose_closes_every_client(server: RunningServer) -> None:
    services = ServiceDiscoveryGrpcClient(CountingRegistry(server.target))
    clients = [services.get_client(name) for name in ("users", "orders")]
    await services.call_service_async("users", ScriptedRequest("7"))

    await services.aclose()

    assert all("closed" in repr(client) for client in clients)
    assert repr(services) == "<ServiceDiscoveryGrpcClient CountingRegistry closed>"


def test_a_child_forked_while_another_thread_discovers_can_discover_its_own() -> None:
    discovering, go_on = threading.Event(), threading.Event()

    def slow_factory(target: str) -> GrpcClient:
        if target == "127.0.0.1:1":
            discovering.set()
            go_on.wait(10)  # holds the client's lock, as a slow first discovery does
        return GrpcClient(target)

    registry = StaticServiceRegistry({"slow": "127.0.0.1:1", "other": "127.0.0.1:2"})
    clients = ServiceDiscoveryGrpcClient(registry, slow_factory)
    first_use = threading.Thread(target=clients.get_client, args=("slow",))
    first_use.start()
    discovering.wait(10)

    child = ForkedChild.run(lambda: clients.get_client("other").settings.target)

    go_on.set()
    first_use.join(10)
    clients.close()
    assert child.ended_well(), child
    assert child.returned == "127.0.0.1:2"
