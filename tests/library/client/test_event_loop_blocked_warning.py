"""A blocking method called on a thread that runs an event loop warns, once per client."""

import asyncio
import types
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from grpc_request_client import (
    EventLoopBlockedWarning,
    GrpcClient,
    ServiceDiscoveryGrpcClient,
    StaticServiceRegistry,
)
from grpc_request_client.blocking import RunningLoopCheck, running_loop
from grpc_request_client.testing import FakeGrpcClient
from protos import user_pb2
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

LIST_USERS = ScriptedRequest(method="ListUsers", message=user_pb2.ListUsersRequest(limit=2))


def _streamed(client: GrpcClient) -> list[Any]:
    with client.stream(LIST_USERS) as users:
        return list(users)


def _watched(client: GrpcClient) -> object:
    with client.watch_health(timeout=5) as watch:
        return watch.read()


# Each blocking method, run to its end, and what the warning calls it and its twin.
BLOCKING: dict[str, tuple[Callable[[GrpcClient], object], str, str]] = {
    "call": (lambda client: client.call(ScriptedRequest("7")), "call", "call_async"),
    "stream": (_streamed, "stream", "stream_async"),
    "check_health": (lambda client: client.check_health(), "check_health", "check_health_async"),
    "watch_health": (_watched, "watch_health", "watch_health_async"),
    "wait_until_ready": (
        lambda client: client.wait_until_ready(5),
        "wait_until_ready",
        "wait_until_ready_async",
    ),
}


@pytest.mark.parametrize("method", sorted(BLOCKING))
async def test_a_blocking_method_on_the_loop_s_thread_warns_naming_it_and_its_twin(
    client: GrpcClient, method: str
) -> None:
    run, name, twin = BLOCKING[method]

    with pytest.warns(EventLoopBlockedWarning) as warned:
        assert run(client)

    (warning,) = warned
    assert str(warning.message).startswith(
        f"GrpcClient.{name}() was called on a thread running an asyncio event loop, "
        "which it blocks until it returns; "
        f"use {twin}() in async code, or run it in a thread (asyncio.to_thread)."
    )
    assert warning.filename == __file__  # the line that made the call, not the library's


async def test_the_call_still_reaches_the_server_after_the_warning(
    client: GrpcClient, server: RunningServer
) -> None:
    with pytest.warns(EventLoopBlockedWarning):
        response = client.call(ScriptedRequest("7"))

    assert response.message().name == "user 7"
    assert len(server.service.received) == 1


async def test_it_warns_once_per_client_whichever_blocking_methods_follow(
    server: RunningServer,
) -> None:
    with (
        GrpcClient(server.target, default_timeout=10) as first,
        warnings.catch_warnings(record=True) as warned,
    ):
        warnings.simplefilter("always")
        for run, _, _ in BLOCKING.values():
            run(first)
            run(first)
        with GrpcClient(server.target, default_timeout=10) as second:
            second.call(ScriptedRequest("8"))

    assert [w.category for w in warned] == [EventLoopBlockedWarning, EventLoopBlockedWarning]
    assert "GrpcClient.call()" in str(warned[0].message)


async def test_a_call_the_library_makes_for_a_method_is_named_after_that_method(
    server: RunningServer,
) -> None:
    """``call_service`` makes a client's ``call``: the warning names what the caller called."""
    registry = StaticServiceRegistry({"users": server.target})
    with (
        ServiceDiscoveryGrpcClient(registry) as services,
        pytest.warns(
            EventLoopBlockedWarning,
            match=r"^ServiceDiscoveryGrpcClient\.call_service\(\) .* "
            r"use call_service_async\(\) in async code",
        ) as warned,
    ):
        assert services.call_service("users", ScriptedRequest("7")).is_success()

    assert warned[0].filename == __file__


async def test_no_warning_in_a_thread_the_loop_hands_the_call_to(client: GrpcClient) -> None:
    """``filterwarnings = error``: a warning would fail these calls."""
    for run, _, _ in BLOCKING.values():
        assert await asyncio.to_thread(run, client)


def test_no_warning_on_a_thread_with_no_running_loop(server: RunningServer) -> None:
    """An idle loop blocks nothing: only a running one is a reason to warn."""
    idle = asyncio.new_event_loop()
    try:
        with GrpcClient(server.target, default_timeout=10) as client:
            assert client.call(ScriptedRequest("7")).is_success()
    finally:
        idle.close()


async def test_a_fake_warns_where_the_real_client_would_and_its_async_twin_does_not() -> None:
    with FakeGrpcClient() as fake:
        assert await fake.wait_until_ready_async(5)
        with pytest.warns(EventLoopBlockedWarning, match=r"wait_until_ready_async\(\)"):
            assert fake.wait_until_ready(5)

    with FakeGrpcClient() as fake:
        fake.reply("user.UserService", "GetUser", user_pb2.User(name="from the fake"))
        with pytest.warns(EventLoopBlockedWarning, match=r"^GrpcClient\.call\(\)"):
            assert fake.call(ScriptedRequest("7")).message().name == "from the fake"


@pytest.mark.parametrize(
    "module",
    [asyncio, types.SimpleNamespace(), types.SimpleNamespace(_get_running_loop=None)],
    ids=["asyncio", "without-the-private-function", "with-it-not-callable"],
)
async def test_either_way_of_asking_finds_the_running_loop_and_none_off_it(module: object) -> None:
    check = RunningLoopCheck.chosen(module)

    assert check() is asyncio.get_running_loop()
    assert await asyncio.to_thread(check) is None


def test_asyncio_s_own_function_is_used_when_it_has_one_and_the_public_api_otherwise() -> None:
    assert running_loop is asyncio._get_running_loop
    assert RunningLoopCheck.chosen(types.SimpleNamespace()) is RunningLoopCheck.public
    assert RunningLoopCheck.chosen(types.SimpleNamespace(_get_running_loop=1)) is (
        RunningLoopCheck.public
    )
    assert RunningLoopCheck.public() is None
