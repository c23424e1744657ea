from collections.abc import Iterator

import pytest

from app.Demo.DemoServer import DemoServer
from grpc_request_client import GrpcClient


@pytest.fixture
def user_service() -> Iterator[DemoServer]:
    """The demo's user service: users 123 and 456, NOT_FOUND otherwise, "slow" takes 2 s."""
    with DemoServer() as server:
        yield server


@pytest.fixture
def users_client(user_service: DemoServer) -> Iterator[GrpcClient]:
    with GrpcClient(user_service.target, default_timeout=0.5) as client:
        yield client


@pytest.fixture
def unreachable_client() -> Iterator[GrpcClient]:
    """A client whose server has gone: every call fails UNAVAILABLE (after quick retries)."""
    with DemoServer() as server:
        target = server.target
    with GrpcClient(target, default_timeout=2.0) as client:
        yield client
