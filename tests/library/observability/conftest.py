"""Fixtures of the observability tests: a registry of their own, both client APIs, both servers."""

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from tests.Support.AsyncStorageService import AsyncStorageService
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide


@pytest.fixture
def registry() -> CollectorRegistry:
    """A real prometheus registry per test, so no count leaks from one test into another."""
    return CollectorRegistry()


@pytest.fixture(params=["sync", "async"])
def stream_side(request: pytest.FixtureRequest) -> Iterator[StreamSide]:
    """Runs a test once through ``call``/``stream`` and once through their async twins."""
    side = StreamSide(request.param)
    yield side
    side.shutdown()


@pytest.fixture(params=["sync", "aio"])
def server_kind(request: pytest.FixtureRequest) -> str:
    """A server test runs against a grpc.server and against a grpc.aio.server."""
    return str(request.param)


@pytest.fixture
def storage(server_kind: str) -> BaseStorageService:
    """The storage servicer for that kind of server; client tests give their own."""
    return StorageService() if server_kind == "sync" else AsyncStorageService()
