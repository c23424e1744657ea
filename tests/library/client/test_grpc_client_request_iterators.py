"""A request's ``messages()`` iterator may raise or stall: the call still ends cleanly, both sides.

Every behaviour runs through both APIs (``sender``: ``call``/``stream`` with a generator,
their async twins with a generator or an async generator) against real storage servicers,
sync grpc and grpc.aio (``storage``). What the server saw is the point of each test: a call
the client could not finish is cancelled there, never half-closed, and the caller's
iterator is closed once the call no longer reads it.
"""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from grpc_request_client import (
    AsyncGrpcStream,
    GrpcClient,
    GrpcRequestMessagesFailed,
    InvalidGrpcMessage,
    RemoteServiceTimeout,
)
from grpc_request_client.testing import GrpcTestServer
from protos import storage_pb2
from tests.Support.AsyncStorageService import AsyncStorageService
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide

UPLOAD_FAILED = (
    r"^/storage\.ObjectStorage/UploadObject: messages\(\) raised OSError after 2 messages "
    r"were sent; the call was cancelled$"
)
# How long a servicer waits, once its request stream ended, for a cancellation to show that
# the end was not the client's half-close: generous, and cut short by the cancellation.
SETTLE = {"settle-ms": "5000"}
STALLED = {"fail-after": "2"}  # the server fails the call once it got the two chunks sent


@dataclass
class Sender:
    """One API (``side``) and one shape of ``messages()``: a generator, or an async generator."""

    side: StreamSide
    asynchronous: bool

    def failing(self, error: BaseException, sent: int = 2) -> Any:
        """``sent`` chunks, then ``error`` raised by the iterator itself."""
        chunks = ChunksRequest.chunks(sent)
        if not self.asynchronous:

            def raising() -> Iterator[storage_pb2.ObjectChunk]:
                yield from chunks
                raise error

            return raising()

        async def raising_async() -> AsyncIterator[storage_pb2.ObjectChunk]:
            for chunk in chunks:
                yield chunk
            raise error

        return raising_async()


@pytest.fixture(params=["sync", "aio"], ids=["sync-server", "aio-server"])
def storage(request: pytest.FixtureRequest) -> BaseStorageService:
    return StorageService() if request.param == "sync" else AsyncStorageService()


@pytest.fixture
async def client(served: GrpcTestServer) -> AsyncIterator[GrpcClient]:
    with GrpcClient(served.target, default_timeout=10.0) as opened:
        yield opened


@pytest.fixture(
    params=[("sync", False), ("async", False), ("async", True)],
    ids=["call-generator", "call_async-generator", "call_async-async-generator"],
)
def sender(request: pytest.FixtureRequest) -> Iterator[Sender]:
    side, asynchronous = request.param
    stream_side = StreamSide(side)
    yield Sender(stream_side, asynchronous)
    stream_side.shutdown()


async def test_an_iterator_that_raises_midway_fails_the_call_with_one_error_chained_to_it(
    client: GrpcClient, storage: BaseStorageService, sender: Sender
) -> None:
    disk = OSError("disk gone")

    with pytest.raises(GrpcRequestMessagesFailed, match=UPLOAD_FAILED) as failed:
        await sender.side.call(client, ChunksRequest(sender.failing(disk), metadata=SETTLE))

    assert failed.value.__cause__ is disk
    [record] = storage.wait_for_ended(1, timeout=10.0)
    assert record.ended == "cancelled"
    assert record.received <= 2


async def test_a_bidi_stream_whose_iterator_raises_fails_its_read_and_is_cancelled(
    client: GrpcClient, storage: BaseStorageService, sender: Sender
) -> None:
    disk = OSError("disk gone")
    request = ChunksRequest(sender.failing(disk), method="ChecksumChunks", metadata=SETTLE)
    stream = await sender.side.open(client, request)

    with pytest.raises(GrpcRequestMessagesFailed, match="ChecksumChunks: messages") as failed:
        await sender.side.read_all(stream)

    assert failed.value.__cause__ is disk
    [record] = storage.wait_for_ended(1, timeout=10.0)
    assert record.ended == "cancelled"
    assert record.received <= 2


async def test_a_failing_iterator_is_raised_once_and_logged_nowhere(
    client: GrpcClient, sender: Sender, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.DEBUG, logger="grpc"),
        pytest.raises(GrpcRequestMessagesFailed),
    ):
        await sender.side.call(client, ChunksRequest(sender.failing(OSError("disk gone"))))

    said = [record.getMessage() for record in caplog.records if record.name.startswith("grpc.")]
    assert not [text for text in said if "iterat" in text], said


async def test_an_iterator_raising_a_cancelled_error_of_its_own_is_named_not_a_cancellation(
    client: GrpcClient, storage: BaseStorageService
) -> None:
    """Only a cancelled task gets ``CancelledError``; this one's task was never cancelled."""
    own = asyncio.CancelledError()

    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        for chunk in ChunksRequest.chunks(2):
            yield chunk
        raise own

    with pytest.raises(GrpcRequestMessagesFailed, match="raised CancelledError after 2") as failed:
        await client.call_async(ChunksRequest(chunks(), metadata=SETTLE))

    assert failed.value.__cause__ is own
    assert storage.wait_for_ended(1, timeout=10.0)[0].ended == "cancelled"


@pytest.mark.parametrize("method", ["UploadObject", "ChecksumChunks"])
async def test_a_bad_item_of_an_async_generator_is_refused_and_the_call_cancelled(
    client: GrpcClient, storage: BaseStorageService, method: str
) -> None:
    async def chunks() -> AsyncIterator[object]:
        for chunk in ChunksRequest.chunks(2):
            yield chunk
        yield "the third"

    request = ChunksRequest(chunks(), method=method, metadata=SETTLE)
    sent = (
        client.call_async(request)
        if method == "UploadObject"
        else _read_inside_async_with(client.stream_async(request))
    )

    with pytest.raises(InvalidGrpcMessage, match=r"messages\(\) item 2 is str"):
        await sent

    assert storage.wait_for_ended(1, timeout=10.0)[0].ended == "cancelled"


def _stalling(closed: threading.Event) -> Callable[[], AsyncIterator[storage_pb2.ObjectChunk]]:
    """Two chunks, then a wait for a third that never comes; ``closed`` once it is closed."""

    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        try:
            for chunk in ChunksRequest.chunks(2):
                yield chunk
            await asyncio.Event().wait()
            yield ChunksRequest.chunks(1)[0]
        finally:
            closed.set()

    return chunks


async def _read_inside_async_with(stream: AsyncGrpcStream) -> None:
    async with stream:
        async for _ in stream:
            pass


def _other_tasks() -> set[asyncio.Task[Any]]:
    """The event loop's tasks still pending, but for the test's own."""
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current}


@pytest.mark.parametrize(
    ("metadata", "timeout", "code", "ended"),
    [
        pytest.param({}, 0.5, grpc.StatusCode.DEADLINE_EXCEEDED, "cancelled", id="deadline"),
        pytest.param(STALLED, 10.0, grpc.StatusCode.UNAVAILABLE, "aborted", id="server-failed"),
    ],
)
async def test_a_call_that_ends_while_the_async_iterator_waits_leaves_no_task_and_closes_it(
    client: GrpcClient,
    storage: BaseStorageService,
    metadata: dict[str, str],
    timeout: float,
    code: grpc.StatusCode,
    ended: str,
) -> None:
    closed = threading.Event()
    request = ChunksRequest(_stalling(closed)(), metadata=metadata, timeout=timeout)

    response = await client.call_async(request)

    assert response.status_code() is code
    assert closed.is_set()
    assert _other_tasks() == set()
    [record] = storage.wait_for_ended(1, timeout=10.0)
    assert (record.ended, record.received) == (ended, 2)


async def test_a_bidi_stream_whose_deadline_passes_while_its_iterator_waits_closes_it(
    client: GrpcClient, storage: BaseStorageService
) -> None:
    closed = threading.Event()
    request = ChunksRequest(_stalling(closed)(), method="ChecksumChunks", timeout=0.5)

    with pytest.raises(RemoteServiceTimeout):
        await _read_inside_async_with(client.stream_async(request))

    assert closed.is_set()
    assert _other_tasks() == set()
    assert storage.wait_for_ended(1, timeout=10.0)[0].ended == "cancelled"


async def test_a_bidi_stream_closed_while_its_iterator_waits_closes_it(
    client: GrpcClient, storage: BaseStorageService
) -> None:
    closed = threading.Event()
    request = ChunksRequest(_stalling(closed)(), method="ChecksumChunks")
    checksums = client.stream_async(request)
    await checksums.__aenter__()
    assert len([await checksums.read(), await checksums.read()]) == 2

    await checksums.aclose()

    writers = _other_tasks()
    await asyncio.wait(writers, timeout=10.0)
    assert closed.is_set()
    assert all(writer.done() for writer in writers)
    assert storage.wait_for_ended(1, timeout=10.0)[0].ended == "cancelled"


async def test_a_blocking_call_whose_iterator_waits_past_the_deadline_sends_nothing_more(
    client: GrpcClient, storage: BaseStorageService
) -> None:
    """grpcio's blocking API reads the iterator on a thread that cannot be interrupted.

    So the call ends at its deadline while the iterator still waits; once it
    gives its next item, nothing more is sent, and it is closed.
    """
    release, closed = threading.Event(), threading.Event()

    def chunks() -> Iterator[storage_pb2.ObjectChunk]:
        try:
            yield from ChunksRequest.chunks(2)
            release.wait(30.0)
            yield from ChunksRequest.chunks(3)
        finally:
            closed.set()

    response = await StreamSide("sync").call(client, ChunksRequest(chunks(), timeout=0.5))
    release.set()

    assert response.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert closed.wait(10.0)
    [record] = storage.wait_for_ended(1, timeout=10.0)
    assert (record.ended, record.received) == ("cancelled", 2)


async def test_the_server_never_sees_a_clean_end_after_the_iterator_raised(
    client: GrpcClient, storage: BaseStorageService, sender: Sender
) -> None:
    """grpcio's servers can hand a cancelled call's handler the end of its requests.

    A moment before the call reads as cancelled: about one upload in twenty on
    the sync server, one in two on grpc.aio's. So an upload the caller's
    iterator ended must be cancelled on this side, never half-closed, and the
    servicers wait (``settle-ms``) for the cancellation before taking an end
    for the client's. A hundred uploads per case, the iterator raising after
    1 to 3 chunks (so each call reached the server): a one-in-twenty event
    shows in all but 6 runs in 1,000.
    """
    uploads = 100
    for number in range(uploads):
        sent = 1 + number % 3
        request = ChunksRequest(sender.failing(OSError("disk gone"), sent), metadata=SETTLE)
        with pytest.raises(GrpcRequestMessagesFailed, match=f"after {sent} messages"):
            await sender.side.call(client, request)

    records = storage.wait_for_ended(uploads, timeout=30.0)
    assert [record.ended for record in records] == ["cancelled"] * uploads
    assert [record.received <= 1 + number % 3 for number, record in enumerate(records)] == [
        True
    ] * uploads
