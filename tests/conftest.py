import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from grpc_request_client import GrpcClient, GrpcRequest, GrpcResponse
from tests.Support.Certificates import Certificates
from tests.Support.InThread import InThread
from tests.Support.RunningServer import RunningServer

# The shipped plugin, as users load it: its fixtures, and no channel left idle after a test.
pytest_plugins = ["grpc_request_client.testing.pytest_plugin", "pytester"]

Invoke = Callable[[GrpcClient, GrpcRequest], Awaitable[GrpcResponse]]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's addopts) starts two workers per core this process may use.

    Most of a test's time here is spent waiting, not computing: on real servers in other
    threads and processes, deadlines, reconnects and restarts. One worker per core leaves
    the cores idle for a third of the run; two keep them busy (four on CI's two cores).
    """
    return 2 * len(os.sched_getaffinity(0))


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
