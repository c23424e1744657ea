from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from tests.Support.Certificates import Certificates
from tests.Support.RunningServer import RunningServer

pytest_plugins = ["app.Contexts.Shared.Infrastructure.Grpc.Testing.pytest_plugin", "pytester"]

Invoke = Callable[[GrpcClient, GrpcRequest], Awaitable[GrpcResponse]]


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
    """Runs a test once through ``call`` and once through ``call_async``: both must behave alike."""
    if request.param == "sync":

        async def run_sync(client: GrpcClient, grpc_request: GrpcRequest) -> GrpcResponse:
            return client.call(grpc_request)

        return run_sync

    async def run_async(client: GrpcClient, grpc_request: GrpcRequest) -> GrpcResponse:
        return await client.call_async(grpc_request)

    return run_async


@pytest.fixture(scope="session")
def certificates() -> Certificates:
    return Certificates()
