import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from grpc_request_client import (
    GrpcClient,
    GrpcClientAlreadyRegistered,
    GrpcClientClosed,
    GrpcClientRegistry,
    GrpcClientSettings,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientName,
    InvalidGrpcClientSettings,
    RetryPolicy,
    UnknownGrpcClient,
)
from tests.Support.Certificates import Certificates
from tests.Support.ForkedChild import ForkedChild
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1: a call there could only fail
TOKEN = "registry-token-8d2e"  # a fake secret: the tests look for it where it must not be


class CountingFactory:
    """Builds real clients, counting them, slowly enough that racing first uses would all build."""

    def __init__(self) -> None:
        self.built: list[GrpcClient] = []
        self._lock = threading.Lock()

    def __call__(self, settings: GrpcClientSettings) -> GrpcClient:
        threading.Event().wait(0.05)
        client = GrpcClient.from_settings(settings)
        with self._lock:
            self.built.append(client)
        return client


@pytest.fixture
def registry() -> Iterator[GrpcClientRegistry]:
    services = GrpcClientRegistry({})
    yield services
    services.close_all()


def test_a_registered_service_is_called_through_its_one_shared_client(
    registry: GrpcClientRegistry, server: RunningServer
) -> None:
    registry.register("users", GrpcClientSettings.create(server.target, default_timeout=5.0))

    client = registry.get("users")
    response = client.call(ScriptedRequest("7"))

    assert registry.get("users") is client
    assert client.settings.default_timeout == 5.0
    assert response.message().name == "user 7"


def test_a_target_alone_registers_the_default_settings(registry: GrpcClientRegistry) -> None:
    settings = registry.register("users", "users.internal:50051")

    assert settings == GrpcClientSettings.create("users.internal:50051")


def test_every_service_is_listed_with_its_effective_settings_in_registration_order() -> None:
    registry = GrpcClientRegistry({"ORDERS_GRPC_TIMEOUT": "2.5"})
    users = registry.register(
        "users", GrpcClientSettings.create("users:50051", retry=RetryPolicy())
    )
    orders = registry.register("orders", "orders:50051")

    services = registry.services()

    assert list(services) == ["users", "orders"]
    assert services["orders"] is orders
    assert orders.default_timeout == 2.5
    assert registry.settings("users") is users
    with pytest.raises(TypeError):
        services["billing"] = orders  # type: ignore[index]


def test_the_environment_target_is_the_one_called(server: RunningServer) -> None:
    registry = GrpcClientRegistry({"USERS_GRPC_TARGET": server.target})
    registry.register("users", GrpcClientSettings.create(NOWHERE, default_timeout=5.0))

    response = registry.get("users").call(ScriptedRequest("7"))
    registry.close_all()

    assert response.message().name == "user 7"
    assert len(server.service.received) == 1


@pytest.mark.parametrize("given_as", ["path", "text"])
def test_an_environment_with_tls_reaches_a_tls_server_registered_in_plaintext(
    certificates: Certificates, tmp_path: Path, given_as: str
) -> None:
    roots = tmp_path / "ca.pem"
    roots.write_bytes(certificates.ca.cert_pem.bytes())
    value = str(roots) if given_as == "path" else roots.read_text()
    with RunningServer.start(credentials=certificates.server_credentials()) as tls_server:
        registry = GrpcClientRegistry({"USERS_GRPC_TLS_ROOT_CERTIFICATES": value})
        registry.register("users", GrpcClientSettings.create(tls_server.target, default_timeout=5))

        response = registry.get("users").call(ScriptedRequest("7"))
        registry.close_all()

    assert response.message().name == "user 7"


def test_the_environment_is_read_once_when_registering() -> None:
    environ = {"USERS_GRPC_TIMEOUT": "3"}
    registry = GrpcClientRegistry(environ)
    registry.register("users", "users:50051")

    environ["USERS_GRPC_TIMEOUT"] = "not a number"

    assert registry.settings("users").default_timeout == 3.0
    assert registry.get("users").settings.default_timeout == 3.0
    registry.close_all()


def test_without_a_mapping_the_process_environment_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USERS_GRPC_TIMEOUT", "7")

    assert GrpcClientRegistry().register("users", "users:50051").default_timeout == 7.0


def test_a_bad_environment_value_stops_registration_and_names_its_variable() -> None:
    registry = GrpcClientRegistry({"USERS_GRPC_RETRY_MAX_ATTEMPTS": "three"})

    with pytest.raises(InvalidGrpcClientEnvironment) as raised:
        registry.register("users", "users:50051")

    assert raised.value.variable == "USERS_GRPC_RETRY_MAX_ATTEMPTS"
    assert str(raised.value) == (
        "USERS_GRPC_RETRY_MAX_ATTEMPTS: must be a whole number, got 'three'"
    )
    assert dict(registry.services()) == {}


def test_a_variable_that_is_no_setting_stops_registration_naming_the_one_meant() -> None:
    registry = GrpcClientRegistry({"USERS_GRPC_DEFAULT_TIMEOUT": "3"})

    with pytest.raises(InvalidGrpcClientEnvironment) as raised:
        registry.register("users", "users:50051")

    assert str(raised.value) == (
        "USERS_GRPC_DEFAULT_TIMEOUT: is not a setting of the 'users' client; "
        "did you mean USERS_GRPC_TIMEOUT?"
    )
    assert dict(registry.services()) == {}


def test_registration_logs_the_variables_it_used_but_never_their_values(
    certificates: Certificates, tmp_path: Path
) -> None:
    roots = tmp_path / "ca.pem"
    roots.write_bytes(certificates.ca.cert_pem.bytes())
    environ = {"USERS_GRPC_TLS_ROOT_CERTIFICATES": str(roots), "USERS_GRPC_BEARER_TOKEN": TOKEN}

    with capture_logs() as logs:
        GrpcClientRegistry(environ).register("users", "users:50051")

    assert logs == [
        {
            "event": "grpc.client.registered",
            "log_level": "info",
            "service": "users",
            "target": "users:50051",
            "environment": ["USERS_GRPC_TLS_ROOT_CERTIFICATES", "USERS_GRPC_BEARER_TOKEN"],
        }
    ]
    assert TOKEN not in repr(logs)


def test_an_unknown_name_lists_the_registered_ones(registry: GrpcClientRegistry) -> None:
    registry.register("users", "users:50051")
    registry.register("orders", "orders:50051")

    with pytest.raises(UnknownGrpcClient) as raised:
        registry.get("billing")
    with pytest.raises(UnknownGrpcClient, match="'billing'"):
        registry.settings("billing")

    assert str(raised.value) == (
        "no gRPC client is registered as 'billing'; registered: 'orders', 'users'"
    )
    assert isinstance(raised.value, LookupError)


def test_an_unknown_name_in_an_empty_registry_says_none_are(
    registry: GrpcClientRegistry,
) -> None:
    with pytest.raises(UnknownGrpcClient, match=r"registered: none$"):
        registry.get("users")


def test_a_name_registered_twice_is_refused_and_the_first_settings_stay(
    registry: GrpcClientRegistry,
) -> None:
    first = registry.register("users", "users:50051")

    with pytest.raises(GrpcClientAlreadyRegistered, match="'users' is already registered"):
        registry.register("users", "elsewhere:50051")

    assert registry.settings("users") is first


@pytest.mark.parametrize("spelling", ["USER_SERVICE", "user.service", "User_Service"])
def test_another_spelling_of_the_same_variables_is_refused(
    registry: GrpcClientRegistry, spelling: str
) -> None:
    registry.register("user-service", "users:50051")

    with pytest.raises(GrpcClientAlreadyRegistered) as raised:
        registry.register(spelling, "users:50051")

    assert str(raised.value) == (
        f"{spelling!r} would read the same USER_SERVICE_GRPC_* variables as 'user-service', "
        "registered before; use one spelling"
    )


@pytest.mark.parametrize(
    "name", ["", "users service", "users:50051", "-users", "users-", "users..v2", None, 5]
)
def test_a_name_no_variable_can_be_made_of_is_refused(
    registry: GrpcClientRegistry, name: object
) -> None:
    with pytest.raises(InvalidGrpcClientName, match="letters and digits joined by"):
        registry.register(name, "users:50051")  # type: ignore[arg-type]

    assert dict(registry.services()) == {}


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        pytest.param("", "target '' is not a grpc target", id="empty-target"),
        pytest.param("users:99999", "target 'users:99999' has port '99999'", id="bad-port"),
        pytest.param({"target": "users:50051"}, "settings must be a target such as", id="a-dict"),
        pytest.param(None, "settings must be a target such as", id="none"),
    ],
)
def test_settings_that_are_not_settings_are_refused(
    registry: GrpcClientRegistry, settings: object, says: str
) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        registry.register("users", settings)  # type: ignore[arg-type]


def test_an_environ_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="environ must be a mapping"):
        GrpcClientRegistry(["USERS_GRPC_TARGET=users:50051"])  # type: ignore[arg-type]


def test_concurrent_first_gets_make_one_client() -> None:
    factory = CountingFactory()
    registry = GrpcClientRegistry({}, client_factory=factory)
    registry.register("users", "users:50051")
    start = threading.Barrier(8)

    def first_get() -> GrpcClient:
        start.wait()
        return registry.get("users")

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda _: first_get(), range(8)))
    registry.close_all()

    assert len(factory.built) == 1
    assert all(client is factory.built[0] for client in clients)


def test_clients_are_made_on_first_get_only() -> None:
    factory = CountingFactory()
    registry = GrpcClientRegistry({}, client_factory=factory)
    registry.register("users", "users:50051")
    registry.register("orders", "orders:50051")

    registry.get("orders")
    registry.close_all()

    assert [client.settings.target for client in factory.built] == ["orders:50051"]


async def test_close_all_closes_every_client_it_made(server: RunningServer) -> None:
    registry = GrpcClientRegistry({})
    registry.register("users", server.target)
    registry.register("orders", server.target)
    users, orders = registry.get("users"), registry.get("orders")

    registry.close_all()

    with pytest.raises(GrpcClientClosed, match="is closed"):
        await asyncio.to_thread(users.call, ScriptedRequest("7"))
    with pytest.raises(GrpcClientClosed, match="is closed"):
        await orders.call_async(ScriptedRequest("7"))


def test_close_all_twice_is_safe_and_get_then_refuses(registry: GrpcClientRegistry) -> None:
    registry.register("users", "users:50051")
    registry.get("users")

    registry.close_all()
    registry.close_all()

    with pytest.raises(GrpcClientClosed) as raised:
        registry.get("users")
    assert str(raised.value) == (
        "the client registry is closed (close_all() was called); "
        "no client for 'users' is handed out after shutdown"
    )
    assert list(registry.services()) == ["users"]


def test_the_repr_names_the_services_and_how_many_clients_are_open(
    registry: GrpcClientRegistry,
) -> None:
    registry.register("users", "users:50051")
    registry.register("orders", "orders:50051")
    registry.get("users")

    assert repr(registry) == "<GrpcClientRegistry ['users', 'orders'] clients open: 1>"
    registry.close_all()
    assert repr(registry) == "<GrpcClientRegistry ['users', 'orders'] closed>"


def test_a_child_forked_while_another_thread_makes_a_client_can_make_its_own() -> None:
    building, go_on = threading.Event(), threading.Event()

    def slow_factory(settings: GrpcClientSettings) -> GrpcClient:
        if settings.target == NOWHERE:
            building.set()
            go_on.wait(10)  # holds the registry's lock, as a slow first use does
        return GrpcClient.from_settings(settings)

    registry = GrpcClientRegistry(environ={}, client_factory=slow_factory)
    registry.register("slow", NOWHERE)
    registry.register("other", "127.0.0.1:2")
    first_use = threading.Thread(target=registry.get, args=("slow",))
    first_use.start()
    building.wait(10)

    child = ForkedChild.run(lambda: registry.get("other").settings.target)

    go_on.set()
    first_use.join(10)
    registry.close_all()
    assert child.ended_well(), child
    assert child.returned == "127.0.0.1:2"
