"""Keepalive's documented effect against a real server frozen (SIGSTOP) mid-stream.

A frozen server keeps its connection open and acknowledges nothing, so a call
on it learns of the loss only from keepalive's ping going unanswered for
``timeout_ms``, or else from its own deadline.
"""

import time
from collections.abc import Iterator

import pytest

from app.Demo.ListUsersGrpcRequest import ListUsersGrpcRequest
from grpc_request_client import GrpcClient, KeepaliveSettings, RemoteServiceUnavailable
from tests.Support.FreezableServer import FreezableServer
from tests.Support.StreamSide import StreamSide

DEADLINE = 8.0
KEEPALIVE = KeepaliveSettings(time_ms=500, timeout_ms=1000)


@pytest.fixture
def frozen_later() -> Iterator[FreezableServer]:
    server = FreezableServer()
    yield server
    server.stop()


async def test_a_frozen_server_is_given_up_after_the_keepalive_timeout_not_the_deadline(
    frozen_later: FreezableServer, stream_side: StreamSide
) -> None:
    client = GrpcClient(frozen_later.target, default_timeout=DEADLINE, keepalive=KEEPALIVE)
    with client:
        stream = await stream_side.open(client, ListUsersGrpcRequest(limit=2))
        await stream_side.enter(stream)
        first = await stream_side.read(stream)
        frozen_later.freeze()
        frozen_at = time.monotonic()
        with pytest.raises(RemoteServiceUnavailable):
            await stream_side.read(stream)
        noticed_after = time.monotonic() - frozen_at

    assert first.name == "user 0"
    assert KEEPALIVE.timeout_ms / 1000 * 0.9 <= noticed_after < DEADLINE / 2
