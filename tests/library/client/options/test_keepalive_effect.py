"""Keepalive's documented effect against a real server frozen (SIGSTOP) mid-stream.

A frozen server keeps its connection open and acknowledges nothing, so a call
on it learns of the loss only from keepalive's ping going unanswered for
``timeout_ms``, or else from its own deadline. Pings on an idle connection
show as bytes the client sends with no call open.
"""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager

import grpc
import pytest

from app.Demo.ListUsersGrpcRequest import ListUsersGrpcRequest
from grpc_request_client import (
    GrpcClient,
    KeepaliveSettings,
    RemoteServiceUnavailable,
    RetryPolicy,
)
from protos import user_pb2_grpc
from tests.conftest import Invoke
from tests.Support.CountingProxy import CountingProxy
from tests.Support.FreezableServer import FreezableServer
from tests.Support.RecordingUserService import RecordingUserService
from tests.Support.ScriptedRequest import ScriptedRequest
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


async def test_a_unary_call_on_a_frozen_server_ends_after_the_keepalive_timeout(
    frozen_later: FreezableServer, invoke: Invoke
) -> None:
    """Retries off: a retry would wait for a new connection the frozen server never accepts."""
    client = GrpcClient(
        frozen_later.target,
        default_timeout=DEADLINE,
        keepalive=KEEPALIVE,
        retry=RetryPolicy.disabled(),
    )
    with client:
        ready = await invoke(client, ScriptedRequest("ready"))  # this side's connection is up
        frozen_later.freeze()
        frozen_at = time.monotonic()
        response = await invoke(client, ScriptedRequest("1"))
        noticed_after = time.monotonic() - frozen_at

    assert ready.is_success(), ready
    assert response.status_code() is grpc.StatusCode.UNAVAILABLE, response
    assert KEEPALIVE.timeout_ms / 1000 * 0.9 <= noticed_after < DEADLINE / 2


PING_FRAME = 17  # bytes: a 9-byte HTTP/2 frame header and 8 bytes of opaque data
PINGS = 5  # grpc-core sends about one a second however short time_ms is (measured)


@contextmanager
def _server_taking_any_ping() -> Iterator[int]:
    """A user service's port; grpc's default policy would answer a third idle ping with GOAWAY."""
    options = (
        ("grpc.so_reuseport", 0),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 1),
        ("grpc.http2.max_ping_strikes", 0),
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
    user_pb2_grpc.add_UserServiceServicer_to_server(RecordingUserService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(None)


def _until(condition: Callable[[], bool], timeout: float) -> bool:
    ends = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > ends:
            return False
        threading.Event().wait(0.01)
    return True


async def test_permit_without_calls_and_no_ping_limit_keep_pinging_an_idle_connection(
    invoke: Invoke,
) -> None:
    keepalive = KeepaliveSettings(time_ms=100, permit_without_calls=True, max_pings_without_data=0)
    with (
        _server_taking_any_ping() as port,
        CountingProxy.start(port) as proxy,
        GrpcClient(proxy.target, keepalive=keepalive) as client,
    ):
        response = await invoke(client, ScriptedRequest("1"))
        idle_from = proxy.sent
        pinged = await asyncio.to_thread(
            _until, lambda: proxy.sent >= idle_from + PINGS * PING_FRAME, 20.0
        )

    assert response.is_success()
    assert pinged, proxy.sent - idle_from
