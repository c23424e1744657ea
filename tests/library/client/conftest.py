"""Fixtures of the streaming tests: both APIs, and a storage server that records its calls."""

from collections.abc import Iterator

import pytest

from grpc_request_client.testing import GrpcTestServer
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide


@pytest.fixture(params=["sync", "async"])
def stream_side(request: pytest.FixtureRequest) -> Iterator[StreamSide]:
    """Runs a stream test once through ``stream``/``call`` and once through their async twins."""
    side = StreamSide(request.param)
    yield side
    side.shutdown()


@pytest.fixture
def storage() -> StorageService:
    return StorageService()


@pytest.fixture
def served(storage: StorageService) -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(storage) as server:
        yield server
