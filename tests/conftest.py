import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from grpc_request_client import ChannelRegistry, GrpcClient, GrpcRequest, GrpcResponse
from tests.Support.Certificates import Certificates
from tests.Support.InThread import InThread
from tests.Support.RunningServer import RunningServer

pytest_plugins = ["grpc_request_client.testing.pytest_plugin", "pytester"]

Invoke = Callable[[GrpcClient, GrpcRequest], Awaitable[GrpcResponse]]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's addopts) starts two workers per core this process may use.

    Most of a test's time here is spent waiting, not computing: on real servers in other
    threads and processes, deadlines, reconnects and restarts. One worker per core leaves
    the cores idle for a third of the run; two keep them busy (four on CI's two cores).
    """
    return 2 * len(os.sched_getaffinity(0))


@pytest.fixture(autouse=True)
def _no_connection_outlives_its_test() -> Iterator[None]:
    """Close the default registry's idle channels after each test.

    They linger 60 s for the next client with equal settings, which is right in
    a service but not between tests: a later test whose server got the same
    port from the OS would share a channel still backing off from the earlier
    server's shutdown, and fail its first calls with UNAVAILABLE "failed to
    connect" for up to the reconnect backoff.
    """
    yield
    ChannelRegistry.default().close_idle()


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with RunningServer.start() as running:
        yield running


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[GrpcClient]:
    grpc_client = GrpcClient(server.target, default_timeout=10.0)
    yield grpc_client
    grpc_client.close()


@pytest.fixture(params=["sync", "async"])
def invoke(request: pytest.FixtureRequest) -> Invoke:
    """Runs a test once through ``call`` and once through ``call_async``: both must behave alike.

    ``call`` runs in a thread (``InThread``), as async code must run it: on the
    test's event loop it would block that loop (``EventLoopBlockedWarning``).
    """
    if request.param == "sync":

        async def run_sync(client: GrpcClient, grpc_request: GrpcRequest) -> GrpcResponse:
            return await InThread.run(client.call, grpc_request)

        return run_sync

    async def run_async(client: GrpcClient, grpc_request: GrpcRequest) -> GrpcResponse:
        return await client.call_async(grpc_request)

    return run_async


@pytest.fixture(scope="session")
def certificates() -> Certificates:
    return Certificates()
