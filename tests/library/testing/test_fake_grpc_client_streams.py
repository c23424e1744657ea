"""FakeGrpcClient scripts every call kind: streams of replies, streams of requests, both.

Each behaviour runs through both APIs: ``side`` opens streams with ``stream`` or
``stream_async``, ``invoke`` makes client-streaming calls with ``call`` or ``call_async``.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest

from grpc_request_client import (
    GrpcClient,
    GrpcClientError,
    GrpcRequestMessagesFailed,
    GrpcResponse,
    GrpcStreamClosed,
    InvalidGrpcMessage,
    RemoteServiceError,
    RemoteServiceFailed,
    RemoteServiceUnavailable,
    RetryPolicy,
)
from grpc_request_client.testing import (
    FakeGrpcClient,
    FakeStreamStalled,
    InvalidFakeAnswer,
    RecordedCall,
)
from protos import storage_pb2, user_pb2
from tests.conftest import Invoke
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.StreamSide import Stream, StreamSide

STORAGE = "storage.ObjectStorage"
Chunk, Checksum, UploadResult = (
    storage_pb2.ObjectChunk,
    storage_pb2.ChunkChecksum,
    storage_pb2.UploadResult,
)


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> Iterator[StreamSide]:
    stream_side = StreamSide(request.param)
    yield stream_side
    stream_side.shutdown()


def _chunks(count: int) -> list[storage_pb2.ObjectChunk]:
    return [
        Chunk(object_key="report.csv", offset=index * 8, data=b"z" * 8) for index in range(count)
    ]


def _checksums(call: RecordedCall, requests: Iterator[Any]) -> Iterator[Any]:
    """A bidi handler: one checksum per chunk, as each arrives."""
    for chunk in requests:
        yield Checksum(offset=chunk.offset, size=len(chunk.data))


async def _read_until_it_raises(side: StreamSide, stream: Stream, seen: list[Any]) -> None:
    """Read as a caller's loop does, keeping what arrived before the loop raised."""
    while (message := await side.read(stream)) is not None:
        seen.append(message)


# --- Server streaming --------------------------------------------------------------------


async def test_a_scripted_stream_hands_out_its_messages_then_ends_ok(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply_stream(
        STORAGE,
        "DownloadObject",
        _chunks(3),
        initial_metadata={"x-served-by": "fake"},
        trailing_metadata={"x-chunks": "3"},
    )

    stream = await side.open(fake_grpc_client, DownloadRequest(chunks=3))
    await side.enter(stream)
    first = await side.read(stream)
    initial = stream.initial_metadata()
    rest = await side.read_all(stream)

    assert [chunk.offset for chunk in [first, *rest]] == [0, 8, 16]
    assert initial["x-served-by"] == "fake"
    assert (stream.status_code(), stream.trailing_metadata()["x-chunks"]) == (
        grpc.StatusCode.OK,
        "3",
    )
    response = stream.response()
    assert (response.messages_sent(), response.messages_received()) == (1, 3)
    assert response.attempts() == 1
    [call] = fake_grpc_client.calls
    assert call.message == storage_pb2.DownloadRequest(
        object_key="report.csv", chunks=3, chunk_size=8
    )
    assert (call.messages, call.attempt, call.cancelled) == ((), 1, False)


async def test_each_stream_reads_its_own_copies_of_the_scripted_messages(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    scripted = _chunks(1)
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", scripted)

    [first] = await side.read_all(await side.open(fake_grpc_client, DownloadRequest()))
    first.object_key = "changed by the code under test"
    [second] = await side.read_all(await side.open(fake_grpc_client, DownloadRequest()))

    assert (second.object_key, scripted[0].object_key) == ("report.csv", "report.csv")
    assert [call.attempt for call in fake_grpc_client.calls] == [1, 1]  # two calls


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (grpc.StatusCode.DATA_LOSS, RemoteServiceFailed),
        (grpc.StatusCode.UNAVAILABLE, RemoteServiceUnavailable),  # retryable, but too late
    ],
)
async def test_a_failure_midway_raises_from_the_loop_after_the_messages_and_is_not_retried(
    fake_grpc_client: FakeGrpcClient,
    side: StreamSide,
    code: grpc.StatusCode,
    error: type[RemoteServiceError],
) -> None:
    fake_grpc_client.reply_stream(
        STORAGE, "DownloadObject", _chunks(2), status=code, details="disk lost"
    )
    stream = await side.open(fake_grpc_client, DownloadRequest(chunks=5))
    seen: list[Any] = []

    with pytest.raises(error, match=f"{code.name}: disk lost"):
        await _read_until_it_raises(side, stream, seen)

    assert len(seen) == 2
    assert (stream.status_code(), stream.details()) == (code, "disk lost")
    assert stream.response().messages_received() == 2
    assert stream.response().attempts() == 1
    assert len(fake_grpc_client.calls) == 1


async def test_a_failure_before_the_first_message_is_retried_as_a_separate_attempt(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.fail(STORAGE, "DownloadObject", grpc.StatusCode.UNAVAILABLE, "restarting")
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(2))

    stream = await side.open(fake_grpc_client, DownloadRequest(idempotent=True))
    chunks = await side.read_all(stream)

    assert len(chunks) == 2
    assert stream.response().attempts() == 2
    first, second = fake_grpc_client.calls
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.trace_id == second.trace_id
    assert second.timeout < first.timeout  # the backoff spent part of the deadline


async def test_a_stream_that_is_not_idempotent_is_not_retried_after_a_server_failure(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.fail(STORAGE, "DownloadObject", grpc.StatusCode.UNAVAILABLE, "restarting")
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(2))
    stream = await side.open(fake_grpc_client, DownloadRequest(idempotent=False))

    with pytest.raises(RemoteServiceUnavailable, match="restarting"):
        await side.read_all(stream)

    assert len(fake_grpc_client.calls) == 1


async def test_an_unreachable_server_is_retried_for_any_stream(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.unreachable(STORAGE, "DownloadObject")
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(1))

    stream = await side.open(fake_grpc_client, DownloadRequest(idempotent=False))

    assert len(await side.read_all(stream)) == 1
    assert stream.response().attempts() == 2


async def test_a_stream_handler_answers_from_the_one_message_sent(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def download(call: RecordedCall, requests: Iterator[Any]) -> Iterator[Any]:
        [request] = requests
        assert request == call.message
        for index in range(request.chunks):
            yield Chunk(object_key=request.object_key, offset=index * request.chunk_size)
        yield GrpcResponse(grpc.StatusCode.OK, trailing_metadata=[("x-chunks", str(index + 1))])

    fake_grpc_client.handle_stream(
        STORAGE, "DownloadObject", download, initial_metadata={"x-served-by": "handler"}
    )
    stream = await side.open(fake_grpc_client, DownloadRequest(chunks=3, size=5))

    chunks = await side.read_all(stream)

    assert [chunk.offset for chunk in chunks] == [0, 5, 10]
    assert stream.initial_metadata()["x-served-by"] == "handler"
    assert stream.trailing_metadata()["x-chunks"] == "3"


async def test_a_stream_handler_ends_the_stream_with_a_failure_midway(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def fails_after_one(call: RecordedCall, requests: Iterator[Any]) -> list[Any]:
        return [Chunk(offset=0), GrpcResponse(grpc.StatusCode.NOT_FOUND, details="gone")]

    fake_grpc_client.handle_stream(STORAGE, "DownloadObject", fails_after_one)
    stream = await side.open(fake_grpc_client, DownloadRequest())
    seen: list[Any] = []

    with pytest.raises(RemoteServiceError, match="NOT_FOUND: gone"):
        await _read_until_it_raises(side, stream, seen)

    assert len(seen) == 1
    assert stream.status_code() is grpc.StatusCode.NOT_FOUND


async def test_an_unscripted_stream_ends_unimplemented_naming_what_is_scripted(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply(STORAGE, "StatObject", UploadResult())
    stream = await side.open(fake_grpc_client, DownloadRequest())

    with pytest.raises(RemoteServiceFailed, match="UNIMPLEMENTED"):
        await side.read_all(stream)

    assert stream.details() == (
        "FakeGrpcClient has no answer for /storage.ObjectStorage/DownloadObject; "
        "scripted: /storage.ObjectStorage/StatObject"
    )


async def test_an_exception_in_a_stream_handler_reaches_the_test(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def broken(call: RecordedCall, requests: Iterator[Any]) -> Iterator[Any]:
        yield Chunk(offset=0)
        raise KeyError("a bug in the test's own handler")

    fake_grpc_client.handle_stream(STORAGE, "DownloadObject", broken)
    stream = await side.open(fake_grpc_client, DownloadRequest())

    with pytest.raises(KeyError, match="a bug in the test's own handler"):
        await side.read_all(stream)

    assert fake_grpc_client.calls[0].cancelled


# --- Bidirectional streaming -------------------------------------------------------------


async def test_a_bidi_handler_answers_each_write_before_the_next_in_one_thread(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", _checksums)
    chunks = _chunks(3)

    stream = await side.open(fake_grpc_client, ChunksRequest(None, method="ChecksumChunks"))
    await side.enter(stream)
    answers = []
    for chunk in chunks:
        await side.write(stream, chunk)
        answers.append(await side.read(stream))
        assert fake_grpc_client.calls[0].messages[-1] == chunk  # recorded as it is written
    await side.done_writing(stream)
    rest = await side.read_all(stream)

    assert [answer.offset for answer in answers] == [0, 8, 16]
    assert rest == []
    assert stream.is_success()
    assert stream.response().messages_sent() == 3
    [call] = fake_grpc_client.calls
    assert (call.message, call.messages, call.cancelled) == (None, tuple(chunks), False)


async def test_a_handler_that_waits_for_a_message_never_written_raises_a_named_error(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def answers_pairs(call: RecordedCall, requests: Iterator[Any]) -> Iterator[Any]:
        while (first := next(requests, None)) is not None:
            second = next(requests)
            yield Checksum(offset=first.offset, size=len(first.data) + len(second.data))

    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", answers_pairs)
    stream = await side.open(fake_grpc_client, ChunksRequest(None, method="ChecksumChunks"))
    await side.write(stream, _chunks(1)[0])

    with pytest.raises(
        FakeStreamStalled,
        match="ChecksumChunks: the handler asks for request message 2, but the caller wrote 1 "
        "before this read",
    ):
        await side.read(stream)

    assert stream.status_code() is grpc.StatusCode.CANCELLED
    assert fake_grpc_client.calls[0].cancelled


async def test_a_handler_that_reads_every_request_first_answers_after_done_writing(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def totals(call: RecordedCall, requests: Iterator[Any]) -> list[Any]:
        return [Checksum(size=sum(len(chunk.data) for chunk in requests))]

    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", totals)
    stream = await side.open(fake_grpc_client, ChunksRequest(None, method="ChecksumChunks"))
    for chunk in _chunks(3):
        await side.write(stream, chunk)
    await side.done_writing(stream)

    [total] = await side.read_all(stream)

    assert total.size == 24


async def test_a_bidi_request_that_sends_its_own_messages_is_read_by_the_handler(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", _checksums)
    chunks = _chunks(4)

    from_list = await side.open(fake_grpc_client, ChunksRequest(chunks, method="ChecksumChunks"))
    answered = await side.read_all(from_list)
    generated = ChunksRequest((chunk for chunk in chunks), method="ChecksumChunks")
    from_generator = await side.open(fake_grpc_client, generated)
    answered_again = await side.read_all(from_generator)

    assert [answer.offset for answer in answered] == [0, 8, 16, 24]
    assert answered_again == answered
    assert from_list.response().messages_sent() == 4
    assert [call.messages for call in fake_grpc_client.calls] == [tuple(chunks)] * 2


async def test_a_scripted_bidi_reply_records_every_message_the_caller_sent(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply_stream(STORAGE, "ChecksumChunks", [Checksum(offset=0)])
    chunks = _chunks(3)

    sending = await side.open(fake_grpc_client, ChunksRequest(chunks, method="ChecksumChunks"))
    answers = await side.read_all(sending)
    writing = await side.open(fake_grpc_client, ChunksRequest(None, method="ChecksumChunks"))
    for chunk in chunks[:2]:
        await side.write(writing, chunk)
    await side.done_writing(writing)
    await side.read_all(writing)

    assert len(answers) == 1
    assert sending.response().messages_sent() == 3
    assert [call.messages for call in fake_grpc_client.calls] == [tuple(chunks), tuple(chunks[:2])]


async def test_a_write_after_the_scripted_stream_ended_is_refused(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply_stream(STORAGE, "ChecksumChunks", [])
    stream = await side.open(fake_grpc_client, ChunksRequest(None, method="ChecksumChunks"))
    await side.read_all(stream)

    with pytest.raises(GrpcStreamClosed, match="the stream has ended \\(OK\\)"):
        await side.write(stream, _chunks(1)[0])

    assert fake_grpc_client.calls[0].messages == ()


async def test_a_bad_item_of_a_bidi_generator_raises_and_cancels_the_call(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def chunks() -> Iterator[object]:
        yield from _chunks(2)
        yield "the third"

    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", _checksums)
    stream = await side.open(fake_grpc_client, ChunksRequest(chunks(), method="ChecksumChunks"))

    with pytest.raises(
        InvalidGrpcMessage, match=r"takes storage\.ObjectChunk; messages\(\) item 2"
    ):
        await side.read_all(stream)

    [call] = fake_grpc_client.calls
    assert (call.messages, call.cancelled) == (tuple(_chunks(2)), True)


async def test_the_async_api_streams_an_async_generator_to_a_bidi_handler(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        for chunk in _chunks(3):
            await asyncio.sleep(0)
            yield chunk

    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", _checksums)

    async with fake_grpc_client.stream_async(
        ChunksRequest(chunks(), method="ChecksumChunks")
    ) as stream:
        answers = [answer async for answer in stream]

    assert [answer.offset for answer in answers] == [0, 8, 16]
    assert fake_grpc_client.calls[0].messages == tuple(_chunks(3))


async def test_the_async_api_lets_another_task_write_while_one_reads(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", _checksums)
    stream = fake_grpc_client.stream_async(ChunksRequest(None, method="ChecksumChunks"))

    async def writer() -> None:
        for chunk in _chunks(3):
            await stream.write(chunk)
        await stream.done_writing()

    async with stream:
        _, answers = await asyncio.gather(writer(), StreamSide("async").read_all(stream))

    assert len(answers) == 3


# --- Client streaming --------------------------------------------------------------------


async def test_a_client_stream_is_answered_once_and_recorded_with_every_message(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(STORAGE, "UploadObject", UploadResult(object_key="report.csv", chunks=3))
    chunks = _chunks(3)

    from_list = await invoke(fake_grpc_client, ChunksRequest(chunks))
    from_generator = await invoke(fake_grpc_client, ChunksRequest(chunk for chunk in chunks))

    for response in (from_list, from_generator):
        assert response.message() == UploadResult(object_key="report.csv", chunks=3)
        assert (response.messages_sent(), response.messages_received()) == (3, 1)
    for call in fake_grpc_client.calls:
        assert (call.message, call.messages, call.cancelled) == (None, tuple(chunks), False)


async def test_a_client_stream_handler_sees_every_message_sent(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.handle(
        STORAGE,
        "UploadObject",
        lambda call: UploadResult(
            chunks=len(call.messages), size=sum(len(chunk.data) for chunk in call.messages)
        ),
    )

    response = await invoke(fake_grpc_client, ChunksRequest(_chunks(4)))

    assert (response.message().chunks, response.message().size) == (4, 32)


async def test_a_client_stream_fails_as_scripted(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.fail(STORAGE, "UploadObject", grpc.StatusCode.RESOURCE_EXHAUSTED, "quota")

    response = await invoke(fake_grpc_client, ChunksRequest(_chunks(2), idempotent=False))

    assert (response.status_code(), response.details()) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "quota",
    )
    assert (response.messages_sent(), response.messages_received()) == (2, 0)


@pytest.mark.parametrize(("kind", "attempts"), [("list", 2), ("generator", 1)])
async def test_a_client_stream_is_retried_only_when_its_messages_can_be_sent_again(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke, kind: str, attempts: int
) -> None:
    fake_grpc_client.fail(STORAGE, "UploadObject", grpc.StatusCode.UNAVAILABLE, "restarting")
    fake_grpc_client.reply(STORAGE, "UploadObject", UploadResult(chunks=2))
    chunks = _chunks(2)
    messages = chunks if kind == "list" else (chunk for chunk in chunks)

    response = await invoke(fake_grpc_client, ChunksRequest(messages))

    assert response.attempts() == attempts
    assert [call.attempt for call in fake_grpc_client.calls] == list(range(1, attempts + 1))
    assert [call.messages for call in fake_grpc_client.calls] == [tuple(chunks)] * attempts


async def test_a_bad_item_of_a_client_stream_generator_raises_and_records_a_cancelled_call(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    def chunks() -> Iterator[object]:
        yield from _chunks(2)
        yield user_pb2.User()

    fake_grpc_client.reply(STORAGE, "UploadObject", UploadResult())

    with pytest.raises(
        InvalidGrpcMessage, match=r"takes storage\.ObjectChunk; messages\(\) item 2 is user\.User"
    ):
        await invoke(fake_grpc_client, ChunksRequest(chunks()))

    [call] = fake_grpc_client.calls
    assert (call.messages, call.cancelled) == (tuple(_chunks(2)), True)


async def test_a_client_stream_iterator_that_raises_fails_as_the_real_client_fails(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    disk = OSError("disk gone")

    def chunks() -> Iterator[storage_pb2.ObjectChunk]:
        yield from _chunks(2)
        raise disk

    fake_grpc_client.reply(STORAGE, "UploadObject", UploadResult())

    with pytest.raises(
        GrpcRequestMessagesFailed,
        match=r"^/storage\.ObjectStorage/UploadObject: messages\(\) raised OSError after 2 "
        r"messages were sent; the call was cancelled$",
    ) as failed:
        await invoke(fake_grpc_client, ChunksRequest(chunks()))

    assert failed.value.__cause__ is disk
    [call] = fake_grpc_client.calls
    assert (call.messages, call.cancelled) == (tuple(_chunks(2)), True)


async def test_a_bidi_iterator_that_raises_fails_the_read_and_cancels_the_call(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    disk = OSError("disk gone")

    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        for chunk in _chunks(2):
            yield chunk
        raise disk

    def raising() -> Iterator[storage_pb2.ObjectChunk]:
        yield from _chunks(2)
        raise disk

    messages = raising() if side.side == "sync" else chunks()
    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", _checksums)
    stream = await side.open(fake_grpc_client, ChunksRequest(messages, method="ChecksumChunks"))

    with pytest.raises(GrpcRequestMessagesFailed, match="raised OSError after 2") as failed:
        await side.read_all(stream)

    assert failed.value.__cause__ is disk
    [call] = fake_grpc_client.calls
    assert (call.messages, call.cancelled) == (tuple(_chunks(2)), True)


async def test_a_bad_item_of_a_client_stream_list_is_refused_before_anything_is_sent(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    with pytest.raises(InvalidGrpcMessage, match="messages\\(\\) item 1 is str"):
        await invoke(fake_grpc_client, ChunksRequest([_chunks(1)[0], "chunk"]))

    assert fake_grpc_client.calls == ()


async def test_the_async_api_sends_an_async_generator_to_a_client_stream(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        for chunk in _chunks(3):
            await asyncio.sleep(0)
            yield chunk

    fake_grpc_client.handle(
        STORAGE, "UploadObject", lambda call: UploadResult(chunks=len(call.messages))
    )

    response = await fake_grpc_client.call_async(ChunksRequest(chunks()))

    assert response.message().chunks == 3
    assert fake_grpc_client.calls[0].messages == tuple(_chunks(3))


# --- Closing early -------------------------------------------------------------------------


async def test_leaving_the_loop_early_records_the_call_cancelled(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(5))
    stream = await side.open(fake_grpc_client, DownloadRequest(chunks=5))

    taken = await side.read_some(stream, 2)

    assert len(taken) == 2
    assert stream.response().closed_by_caller()
    [call] = fake_grpc_client.calls
    assert call.cancelled
    assert repr(call).endswith(" cancelled>")


async def test_closing_a_stream_closes_its_handler(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    closed = []

    def endless(call: RecordedCall, requests: Iterator[Any]) -> Iterator[Any]:
        try:
            offset = 0
            while True:
                yield Chunk(offset=offset)
                offset += 1
        finally:
            closed.append(call.attempt)

    fake_grpc_client.handle_stream(STORAGE, "DownloadObject", endless)
    stream = await side.open(fake_grpc_client, DownloadRequest())
    await side.enter(stream)
    await side.read(stream)

    await side.close(stream)

    assert closed == [1]
    assert fake_grpc_client.calls[0].cancelled


async def test_a_stream_closed_before_it_started_sends_and_records_nothing(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(1))
    stream = await side.open(fake_grpc_client, DownloadRequest())

    await side.close(stream)

    assert fake_grpc_client.calls == ()
    assert stream.response().attempts() == 0


async def test_cancelling_the_reading_task_records_the_call_cancelled(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(1000))
    stream = fake_grpc_client.stream_async(DownloadRequest(chunks=1000))
    reader = asyncio.ensure_future(StreamSide("async").read_all(stream))
    for _ in range(10):  # each read yields to the loop once: the reader gets a few messages in
        await asyncio.sleep(0)
    assert 0 < stream.messages_received < 1000

    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader

    assert fake_grpc_client.calls[0].cancelled


async def test_a_stream_read_to_its_end_is_not_cancelled_by_closing_it(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", _chunks(2))
    stream = await side.open(fake_grpc_client, DownloadRequest())
    await side.read_all(stream)

    await side.close(stream)

    assert not fake_grpc_client.calls[0].cancelled


# --- Records -------------------------------------------------------------------------------


def test_a_streams_record_fits_on_a_line_and_hides_credentials(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    fake_grpc_client.reply(STORAGE, "UploadObject", UploadResult())
    request = ChunksRequest(_chunks(5), metadata={"authorization": "Bearer sk-live-123"})

    fake_grpc_client.call(request)

    shown = repr(fake_grpc_client.calls[0])
    assert shown.startswith(
        "<RecordedCall /storage.ObjectStorage/UploadObject attempt=1 "
        'messages=[ObjectChunk(object_key: "report.csv" data: "zzzzzzzz"), '
    )
    assert ", +2 more] metadata=GrpcMetadata([('authorization', '[redacted]')" in shown
    assert "sk-live-123" not in shown
    assert "\n" not in shown


# --- Misuse --------------------------------------------------------------------------------


def _scripts(fake: FakeGrpcClient) -> dict[str, Any]:
    return {
        "reply": lambda method, *messages: fake.reply(STORAGE, method, *messages),
        "handle": lambda method: fake.handle(STORAGE, method, lambda call: UploadResult()),
        "reply_stream": lambda method, *messages: fake.reply_stream(
            STORAGE, method, list(messages)
        ),
        "handle_stream": lambda method: fake.handle_stream(STORAGE, method, _checksums),
    }


@pytest.mark.parametrize(
    ("how", "method", "messages", "says"),
    [
        pytest.param(
            "reply",
            "DownloadObject",
            [Chunk()],
            "/storage.ObjectStorage/DownloadObject streams its replies: script it with "
            "reply_stream\\(\\) or handle_stream\\(\\), not reply\\(\\)",
            id="reply-for-a-server-stream",
        ),
        pytest.param(
            "handle",
            "ChecksumChunks",
            [],
            "ChecksumChunks streams its replies: .*, not handle\\(\\)",
            id="handle-for-a-bidi-stream",
        ),
        pytest.param(
            "reply_stream",
            "StatObject",
            [UploadResult()],
            "/storage.ObjectStorage/StatObject answers with one reply: script it with "
            "reply\\(\\) or handle\\(\\), not reply_stream\\(\\)",
            id="stream-for-a-unary-method",
        ),
        pytest.param(
            "handle_stream",
            "UploadObject",
            [],
            "UploadObject answers with one reply: .*, not handle_stream\\(\\)",
            id="stream-for-a-client-stream",
        ),
        pytest.param(
            "reply_stream",
            "DownloadObject",
            [Chunk(), UploadResult()],
            "DownloadObject returns storage.ObjectChunk; reply_stream\\(\\) message 1 is "
            "storage.UploadResult",
            id="stream-message-of-the-wrong-class",
        ),
        pytest.param(
            "reply",
            "UploadObject",
            [Chunk()],
            "UploadObject returns storage.UploadResult, not storage.ObjectChunk",
            id="client-stream-reply-of-the-wrong-class",
        ),
    ],
)
def test_an_answer_of_the_wrong_shape_or_class_is_refused_as_it_is_scripted(
    fake_grpc_client: FakeGrpcClient, how: str, method: str, messages: list[Any], says: str
) -> None:
    with pytest.raises(InvalidFakeAnswer, match=says):
        _scripts(fake_grpc_client)[how](method, *messages)


@pytest.mark.parametrize(
    ("script", "says"),
    [
        pytest.param(
            lambda fake: fake.reply_stream(STORAGE, "DownloadObject", Chunk()),
            "reply_stream\\(\\) takes an iterable of the protobuf messages .*got ObjectChunk",
            id="one-message-not-a-list",
        ),
        pytest.param(
            lambda fake: fake.reply_stream(STORAGE, "DownloadObject", [Chunk(), {"offset": 1}]),
            "reply_stream\\(\\) message 1 is a dict, not a protobuf message",
            id="not-a-message",
        ),
        pytest.param(
            lambda fake: fake.reply_stream(STORAGE, "DownloadObject", [], status=13),
            "status must be a grpc.StatusCode, got 13",
            id="status-not-a-code",
        ),
        pytest.param(
            lambda fake: fake.reply_stream(STORAGE, "DownloadObject", [], details=None),
            "details must be a str",
            id="details-not-a-str",
        ),
        pytest.param(
            lambda fake: fake.reply_stream(STORAGE, "DownloadObject", [], trailing_metadata=3),
            "metadata must be a mapping or \\(key, value\\) pairs",
            id="bad-metadata",
        ),
        pytest.param(
            lambda fake: fake.handle_stream(STORAGE, "DownloadObject", [Chunk()]),
            "handle_stream\\(\\) takes a function of the RecordedCall and an iterator",
            id="handler-not-callable",
        ),
        pytest.param(
            lambda fake: fake.reply_stream(STORAGE, "DownloadObjects", []),
            "storage.ObjectStorage has no method 'DownloadObjects' \\(it has: ChecksumChunks, "
            "DownloadObject, StatObject, UploadObject\\)",
            id="unknown-method",
        ),
    ],
)
def test_a_stream_script_no_server_could_play_is_refused(
    fake_grpc_client: FakeGrpcClient, script: Any, says: str
) -> None:
    with pytest.raises(InvalidFakeAnswer, match=says):
        script(fake_grpc_client)


def _async_handler(call: RecordedCall, requests: Iterator[Any]) -> Any:
    async def answer() -> list[Any]:
        return [Chunk()]

    return answer()


def _async_generator_handler(call: RecordedCall, requests: Iterator[Any]) -> Any:
    async def answer() -> AsyncIterator[Any]:
        yield Chunk()

    return answer()


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        pytest.param(
            lambda call, requests: Chunk(),
            "a stream handler must return an iterable of reply messages .*got ObjectChunk",
            id="one-message",
        ),
        pytest.param(
            lambda call, requests: [Chunk(), "chunk"],
            "a stream handler's items are reply messages and a GrpcResponse .*got str",
            id="not-a-message",
        ),
        pytest.param(
            lambda call, requests: [UploadResult()],
            "DownloadObject returns storage.ObjectChunk; the answer is UploadResult",
            id="wrong-class",
        ),
        pytest.param(
            lambda call, requests: [GrpcResponse(grpc.StatusCode.OK, Chunk())],
            "the GrpcResponse that ends a stream carries no message",
            id="end-with-a-message",
        ),
        pytest.param(
            lambda call, requests: [
                GrpcResponse(grpc.StatusCode.OK, initial_metadata=[("x-a", "1")])
            ],
            "initial metadata goes before its messages: give initial_metadata= to "
            "handle_stream\\(\\)",
            id="end-with-initial-metadata",
        ),
        pytest.param(_async_handler, "async handlers are not supported", id="coroutine"),
        pytest.param(
            _async_generator_handler, "async handlers are not supported", id="async-generator"
        ),
    ],
)
async def test_a_stream_handler_result_no_server_could_give_raises_when_read(
    fake_grpc_client: FakeGrpcClient, side: StreamSide, handler: Any, says: str
) -> None:
    fake_grpc_client.handle_stream(STORAGE, "DownloadObject", handler)
    stream = await side.open(fake_grpc_client, DownloadRequest())

    with pytest.raises(InvalidFakeAnswer, match=says):
        await side.read_all(stream)


MISUSED_STREAMS = [
    pytest.param(DownloadRequest(method="StatObject"), id="unary-through-stream"),
    pytest.param(ChunksRequest(_chunks(1)), id="client-stream-through-stream"),
    pytest.param(ChunksRequest(None, method="UploadObject"), id="client-stream-of-none"),
    pytest.param(ChunksRequest(42, method="ChecksumChunks"), id="messages-not-iterable"),
    pytest.param(ChunksRequest([Chunk(), "x"], method="ChecksumChunks"), id="bad-item"),
]


async def _refusal(opening: Any) -> tuple[type, str]:
    with pytest.raises(GrpcClientError) as raised:
        await opening()
    return type(raised.value), str(raised.value)


@pytest.mark.parametrize("request_", MISUSED_STREAMS)
async def test_the_fake_refuses_exactly_the_streams_the_real_client_refuses(
    client: GrpcClient, side: StreamSide, request_: Any
) -> None:
    async def opened(on: GrpcClient) -> None:
        await side.open(on, request_)

    with FakeGrpcClient() as fake:
        refused_by_fake = await _refusal(lambda: opened(fake))

    assert refused_by_fake == await _refusal(lambda: opened(client))
    assert fake.calls == ()


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(DownloadRequest(), id="server-stream-through-call"),
        pytest.param(ChunksRequest(None, method="ChecksumChunks"), id="bidi-through-call"),
        pytest.param(DownloadRequest(method="UploadObject"), id="one-message-to-a-client-stream"),
        pytest.param(ChunksRequest([Chunk()], method="StatObject"), id="many-to-a-unary-method"),
    ],
)
async def test_the_fake_refuses_exactly_the_calls_the_real_client_refuses(
    client: GrpcClient, invoke: Invoke, request_: Any
) -> None:
    with FakeGrpcClient() as fake:
        refused_by_fake = await _refusal(lambda: invoke(fake, request_))

    assert refused_by_fake == await _refusal(lambda: invoke(client, request_))
    assert fake.calls == ()


async def test_retries_of_a_stream_follow_the_clients_policy(side: StreamSide) -> None:
    with FakeGrpcClient(retry=RetryPolicy(max_attempts=4)) as fake:
        fake.fail(STORAGE, "DownloadObject", grpc.StatusCode.UNAVAILABLE, "down")
        stream = await side.open(fake, DownloadRequest())

        with pytest.raises(RemoteServiceUnavailable, match="down"):
            await side.read_all(stream)

    assert stream.response().attempts() == 4
    assert [call.attempt for call in fake.calls] == [1, 2, 3, 4]


# --- Counts of a stream an exception ended ---------------------------------------------------


async def test_a_stream_abandoned_by_an_exception_still_counts_the_messages_it_sent(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    def answers_then_breaks(call: RecordedCall, requests: Iterator[Any]) -> Iterator[Any]:
        yield from _checksums(call, requests)
        raise KeyError("a bug in the test's own handler")

    fake_grpc_client.handle_stream(STORAGE, "ChecksumChunks", answers_then_breaks)
    stream = await side.open(fake_grpc_client, ChunksRequest(_chunks(3), method="ChecksumChunks"))

    with pytest.raises(KeyError):
        await side.read_all(stream)

    assert fake_grpc_client.calls[0].messages == tuple(_chunks(3))  # the server got all three
    assert stream.response().messages_received() == 3
    assert stream.response().messages_sent() == 3
