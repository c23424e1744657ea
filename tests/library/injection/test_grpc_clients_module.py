from collections.abc import Iterator
from typing import Annotated

import injector
import pytest
from injector import Injector, inject

from grpc_request_client import (
    GrpcClient,
    GrpcClientClosed,
    GrpcClientRegistry,
    GrpcClientSettings,
    GrpcClientsModule,
    InvalidGrpcClientName,
    UnknownGrpcClient,
)
from grpc_request_client.testing import FakeGrpcClient
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

UsersGrpcClient = Annotated[GrpcClient, "users"]
OrdersGrpcClient = Annotated[GrpcClient, "orders"]
BillingGrpcClient = Annotated[GrpcClient, "billing"]
LegacyGrpcClient = Annotated[GrpcClient, "legacy"]


class UserDirectory:
    """An adapter as a service writes one: it names the clients it needs, never their targets."""

    @inject
    def __init__(self, users: UsersGrpcClient, orders: OrdersGrpcClient) -> None:
        self.users = users
        self.orders = orders

    def name_of(self, user_id: str) -> str:
        return str(self.users.call(ScriptedRequest(user_id)).message().name)


class Invoicing:
    @inject
    def __init__(self, billing: BillingGrpcClient) -> None:
        self.billing = billing


@pytest.fixture
def registry(server: RunningServer) -> Iterator[GrpcClientRegistry]:
    services = GrpcClientRegistry({})
    services.register("users", GrpcClientSettings.create(server.target, default_timeout=5.0))
    services.register("orders", "orders.internal:50051")
    yield services
    services.close_all()


def test_each_annotated_key_gets_the_client_of_its_name(registry: GrpcClientRegistry) -> None:
    directory = Injector([GrpcClientsModule(registry)]).get(UserDirectory)

    assert directory.users is registry.get("users")
    assert directory.orders is registry.get("orders")
    assert directory.orders.settings.target == "orders.internal:50051"


def test_the_clients_are_singletons_shared_with_the_registry(
    registry: GrpcClientRegistry,
) -> None:
    container = Injector([GrpcClientsModule(registry)])

    first, second = container.get(UserDirectory), container.get(UserDirectory)

    assert first is not second
    assert first.users is second.users
    assert container.get(UsersGrpcClient) is first.users


def test_an_injected_client_calls_the_real_server(
    registry: GrpcClientRegistry, server: RunningServer
) -> None:
    directory = Injector([GrpcClientsModule(registry)]).get(UserDirectory)

    assert directory.name_of("7") == "user 7"
    assert len(server.service.received) == 1


def test_binding_makes_no_client_until_one_is_injected() -> None:
    made: list[str] = []

    def factory(settings: GrpcClientSettings) -> GrpcClient:
        made.append(settings.target)
        return GrpcClient.from_settings(settings)

    registry = GrpcClientRegistry({}, client_factory=factory)
    registry.register("users", "users.internal:50051")
    registry.register("orders", "orders.internal:50051")
    container = Injector([GrpcClientsModule(registry)])

    assert made == []
    container.get(OrdersGrpcClient)
    registry.close_all()
    assert made == ["orders.internal:50051"]


def test_the_registry_is_bound_for_shutdown_which_closes_every_injected_client(
    registry: GrpcClientRegistry,
) -> None:
    container = Injector([GrpcClientsModule(registry)])
    directory = container.get(UserDirectory)

    container.get(GrpcClientRegistry).close_all()

    assert container.get(GrpcClientRegistry) is registry
    with pytest.raises(GrpcClientClosed, match="is closed"):
        directory.users.call(ScriptedRequest("7"))
    with pytest.raises(GrpcClientClosed, match="is closed"):
        directory.orders.call(ScriptedRequest("7"))


def test_after_shutdown_a_new_injection_is_refused_by_the_registry(
    registry: GrpcClientRegistry,
) -> None:
    container = Injector([GrpcClientsModule(registry)])
    registry.close_all()

    with pytest.raises(GrpcClientClosed, match="the client registry is closed"):
        container.get(UsersGrpcClient)


def test_a_name_registered_after_the_injector_was_made_is_not_bound(
    registry: GrpcClientRegistry,
) -> None:
    container = Injector([GrpcClientsModule(registry)])
    registry.register("billing", "billing.internal:50051")

    assert not container.binder.has_explicit_binding_for(GrpcClientsModule.key("billing"))
    with pytest.raises(
        UnknownGrpcClient,
        match=r"^Annotated\[GrpcClient, 'billing'\] is not bound: 'billing' was registered after "
        r"this Injector was made; register every service before making the Injector$",
    ):
        container.get(Invoicing)
    assert Injector([GrpcClientsModule(registry)]).get(Invoicing).billing is registry.get("billing")


@pytest.mark.parametrize(
    ("auto_bind", "asked"),
    [(True, Invoicing), (True, BillingGrpcClient), (False, BillingGrpcClient)],
    ids=["a-class-that-needs-it", "the-key", "the-key-without-auto-bind"],
)
def test_an_unregistered_name_fails_where_the_graph_asks_for_it_listing_the_names(
    registry: GrpcClientRegistry, auto_bind: bool, asked: object
) -> None:
    """Not injector's ``CallError`` over ``GrpcClient()`` missing its target, nor its bare
    ``UnsatisfiedRequirement``: the name asked for, and the names there are."""
    container = Injector([GrpcClientsModule(registry)], auto_bind=auto_bind)

    with pytest.raises(UnknownGrpcClient) as raised:
        container.get(asked)  # type: ignore[call-overload]

    assert str(raised.value) == (
        "Annotated[GrpcClient, 'billing'] is not bound: no gRPC client is registered as "
        "'billing'; registered: 'orders', 'users'"
    )
    assert isinstance(raised.value, LookupError)


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        pytest.param(GrpcClient, "GrpcClient", id="no-name"),
        pytest.param(
            Annotated[GrpcClient, 7], r"typing\.Annotated\[.*GrpcClient, 7\]", id="number"
        ),
        pytest.param(
            Annotated[GrpcClient, "users", "eu"],
            r"typing\.Annotated\[.*GrpcClient, 'users', 'eu'\]",
            id="two-names",
        ),
    ],
)
def test_a_client_key_of_another_shape_is_refused_saying_the_shape(
    registry: GrpcClientRegistry, key: object, shown: str
) -> None:
    container = Injector([GrpcClientsModule(registry)])

    with pytest.raises(
        UnknownGrpcClient,
        match=f"^{shown} is no client's key: a client is injected by its registered name, as "
        r"Annotated\[GrpcClient, '<name>'\]; registered: 'orders', 'users'$",
    ):
        container.get(key)  # type: ignore[call-overload]


def test_with_no_service_registered_the_error_says_so() -> None:
    container = Injector([GrpcClientsModule(GrpcClientRegistry({}))])

    with pytest.raises(UnknownGrpcClient, match=r"registered as 'users'; registered: none$"):
        container.get(UsersGrpcClient)


def test_a_client_key_bound_elsewhere_and_every_other_key_resolve_as_before(
    registry: GrpcClientRegistry,
) -> None:
    legacy = FakeGrpcClient("legacy:50051")

    def bind_legacy(binder: injector.Binder) -> None:
        binder.bind(LegacyGrpcClient, to=legacy)

    parent = Injector([bind_legacy])
    container = Injector([GrpcClientsModule(registry)], parent=parent)

    assert container.get(LegacyGrpcClient) is legacy
    assert container.get(UserDirectory).users is registry.get("users")  # auto-bound, as before


def test_a_key_is_the_annotated_type_users_write() -> None:
    assert GrpcClientsModule.key("users") == UsersGrpcClient


def test_a_key_for_a_name_no_registry_would_take_is_refused() -> None:
    with pytest.raises(InvalidGrpcClientName):
        GrpcClientsModule.key("users service")
