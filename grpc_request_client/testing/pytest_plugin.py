"""pytest fixtures for code that calls gRPC services through ``GrpcClient``.

Load them from the ``conftest.py`` at the root of your tests::

    pytest_plugins = ["grpc_request_client.testing.pytest_plugin"]

A module of fixtures rather than a class, so it is named as pytest plugins are.
Everything a fixture opens is closed at teardown, even when the test fails, and
``grpc_idle_channels_closed`` closes the channels clients left idle after every
test, without being asked for.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import ParamSpec, Protocol

import grpc
import pytest

from grpc_request_client.channels import ChannelRegistry
from grpc_request_client.testing.fake import FakeGrpcClient
from grpc_request_client.testing.server import GrpcTestServer, Interceptor

_Start = ParamSpec("_Start")


class StartGrpcTestServer(Protocol):
    """``GrpcTestServer.start``'s signature, the type of the ``grpc_test_server`` fixture.

    mypy checks the fixture's function against it (it is ``GrpcTestServer.start``'s own
    signature, carried through), so a keyword ``start`` no longer takes fails there.
    """

    def __call__(
        self,
        *servicers: object,
        interceptors: Sequence[Interceptor] = ...,
        max_workers: int = ...,
        credentials: grpc.ServerCredentials | None = ...,
        health: bool = ...,
        host: str = ...,
        port: int = ...,
        aio: bool | None = ...,
    ) -> GrpcTestServer: ...


@pytest.fixture
def fake_grpc_client() -> Iterator[FakeGrpcClient]:
    """A ``FakeGrpcClient`` with nothing scripted yet."""
    with FakeGrpcClient() as fake:
        yield fake


@pytest.fixture
def grpc_test_server() -> Iterator[StartGrpcTestServer]:
    """``GrpcTestServer.start``, with every server it started stopped after the test.

    ``server = grpc_test_server(MyUserService(), interceptors=[...])`` takes
    what ``GrpcTestServer.start`` takes; a test may start several. A servicer
    of ``async def`` methods is served by grpc.aio on a thread and loop of its
    own, in a sync test or an async one alike: ``grpc_test_server(MyAioService())``.
    Each is stopped, its calls in flight cancelled and its threads joined, before
    the next test.
    """
    with ExitStack() as started:
        yield _stopped_with(started, GrpcTestServer.start)


def _stopped_with(
    stack: ExitStack, start: Callable[_Start, GrpcTestServer]
) -> Callable[_Start, GrpcTestServer]:
    """``start`` itself, typed as it is, but each server it returns is stopped with ``stack``."""

    def started(*args: _Start.args, **kwargs: _Start.kwargs) -> GrpcTestServer:
        return stack.enter_context(start(*args, **kwargs))

    return started


@pytest.fixture(autouse=True)
def grpc_idle_channels_closed() -> Iterator[None]:
    """After each test, close the channels of ``ChannelRegistry.default()`` no client holds.

    Used by every test (``autouse``). A closed client's channel lingers 60 s
    for the next client with equal settings, which is right in a service but
    not between tests: a later test whose server got the same port from the
    OS would share a channel still backing off from the earlier server's
    shutdown, and fail its first calls UNAVAILABLE ("failed to connect") for
    up to the reconnect backoff. A channel a client still holds (one made by
    a fixture of a wider scope) is left open. A suite that wants idle
    channels kept overrides this fixture with one of the same name that does
    nothing.
    """
    yield
    ChannelRegistry.default().close_idle()
