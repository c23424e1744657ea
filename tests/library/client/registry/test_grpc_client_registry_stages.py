"""Stages given to a ``GrpcClientRegistry`` run on every client it makes, injected ones too."""

from collections.abc import Callable
from typing import Annotated, Any

import pytest
from injector import Injector

from grpc_request_client import (
    GrpcCallStage,
    GrpcClient,
    GrpcClientRegistry,
    GrpcClientSettings,
    GrpcClientsModule,
    GrpcInvocation,
    GrpcResponse,
    InvalidGrpcClientSettings,
)
from grpc_request_client.testing import FakeGrpcClient
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

Journal = list[tuple[str, str, str]]


class Seen(GrpcCallStage[None]):
    """Writes down each call it sees start and finish, under its own name."""

    def __init__(self, name: str, journal: Journal) -> None:
        self.name = name
        self.journal = journal

    def start(self, invocation: GrpcInvocation) -> None:
        self.journal.append((self.name, "start", invocation.target))

    def finished(
        self, state: None, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        self.journal.append((self.name, response.status_code().name, invocation.target))
        return response


def _registry(server: RunningServer, journal: Journal, **options: Any) -> GrpcClientRegistry:
    registry = GrpcClientRegistry(
        {}, stages=[Seen("outer", journal), Seen("inner", journal)], **options
    )
    registry.register("users", GrpcClientSettings.create(server.target, default_timeout=10))
    registry.register("orders", GrpcClientSettings.create(server.target, default_timeout=9))
    return registry


async def test_every_client_the_registry_makes_runs_its_stages_in_order(
    server: RunningServer, invoke: Invoke
) -> None:
    journal: Journal = []
    registry = _registry(server, journal)

    for name in ("users", "orders"):
        response = await invoke(registry.get(name), ScriptedRequest("7"))
        assert response.message().name == "user 7"
    registry.close_all()

    target = server.target
    one_call = [
        ("outer", "start", target),
        ("inner", "start", target),
        ("inner", "OK", target),
        ("outer", "OK", target),
    ]
    assert journal == one_call * 2
    assert len(server.service.received) == 2


async def test_an_injected_client_runs_the_registry_s_stages(
    server: RunningServer, invoke: Invoke
) -> None:
    journal: Journal = []
    registry = _registry(server, journal)
    container = Injector([GrpcClientsModule(registry)])

    response = await invoke(container.get(Annotated[GrpcClient, "users"]), ScriptedRequest("7"))  # type: ignore[arg-type]
    registry.close_all()

    assert response.is_success()
    assert [(name, event) for name, event, _ in journal] == [
        ("outer", "start"),
        ("inner", "start"),
        ("inner", "OK"),
        ("outer", "OK"),
    ]


async def test_a_factory_s_own_stages_run_inside_the_registry_s(
    server: RunningServer, invoke: Invoke
) -> None:
    journal: Journal = []

    def with_its_own(settings: GrpcClientSettings, *, stages: Any = ()) -> GrpcClient:
        return GrpcClient.from_settings(settings, stages=[*stages, Seen("factory's", journal)])

    registry = _registry(server, journal, client_factory=with_its_own)

    await invoke(registry.get("users"), ScriptedRequest("7"))
    registry.close_all()

    assert [name for name, event, _ in journal if event == "start"] == [
        "outer",
        "inner",
        "factory's",
    ]


async def test_a_fake_made_by_the_registry_runs_its_stages_too(invoke: Invoke) -> None:
    journal: Journal = []
    registry = GrpcClientRegistry(
        {}, client_factory=FakeGrpcClient.from_settings, stages=[Seen("stage", journal)]
    )
    registry.register("users", "users.internal:50051")
    fake = registry.get("users")
    assert isinstance(fake, FakeGrpcClient)
    fake.reply("user.UserService", "GetUser", user_pb2.User(name="from the fake"))

    await invoke(fake, ScriptedRequest("7"))

    assert journal == [
        ("stage", "start", "users.internal:50051"),
        ("stage", "OK", "users.internal:50051"),
    ]


@pytest.mark.parametrize(
    "stages",
    [Seen("alone", []), [object()], "stage", {Seen("in a set", [])}],
    ids=["a-stage-not-in-a-list", "not-a-stage", "a-string", "a-set"],
)
def test_stages_that_are_not_a_list_or_tuple_of_stages_are_refused_at_once(stages: Any) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="stages must be a list or tuple of"):
        GrpcClientRegistry({}, stages=stages)


def _settings_only(settings: GrpcClientSettings) -> GrpcClient:
    return GrpcClient.from_settings(settings)


class SettingsOnly:
    def __call__(self, settings: GrpcClientSettings) -> GrpcClient:
        return GrpcClient.from_settings(settings)


FACTORIES: dict[str, Callable[..., GrpcClient]] = {
    "function": _settings_only,
    "callable-object": SettingsOnly(),
}


@pytest.mark.parametrize("factory", sorted(FACTORIES))
def test_stages_with_a_factory_that_cannot_take_them_are_refused_at_once(factory: str) -> None:
    with pytest.raises(
        InvalidGrpcClientSettings,
        match=r"^client_factory <.*> takes no stages= keyword; with stages, the "
        r"registry calls it as factory\(settings, stages=\(\.\.\.\)\), its stages first$",
    ):
        GrpcClientRegistry({}, client_factory=FACTORIES[factory], stages=[Seen("s", [])])


def test_without_stages_a_factory_of_the_settings_alone_is_called_as_before() -> None:
    registry = GrpcClientRegistry({}, client_factory=_settings_only)
    registry.register("users", "users.internal:50051")

    assert registry.get("users").settings.target == "users.internal:50051"
    registry.close_all()
