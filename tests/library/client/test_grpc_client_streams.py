"""Every call kind against a real server, through both APIs (the ``stream_side`` fixture)."""

import asyncio
import gc
import threading
from collections.abc import AsyncIterator

import grpc
import pytest

from grpc_request_client import (
    BulkheadPolicy,
    GrpcClient,
    GrpcStreamClosed,
    GrpcStreamNotFinished,
    RemoteServiceFailed,
    RemoteServiceTimeout,
    RemoteServiceUnavailable,
    RequestContext,
    RetryPolicy,
)
from grpc_request_client.testing import GrpcTestServer
from protos import storage_pb2
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide

RETRY_TWICE = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.01)


@pytest.fixture
async def client(served: GrpcTestServer) -> AsyncIterator[GrpcClient]:
    with GrpcClient(served.target, default_timeout=10.0, retry=RETRY_TWICE) as opened:
        yield opened


async def test_a_server_stream_hands_out_every_message_then_reads_as_a_response(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, DownloadRequest(chunks=4, size=3))
    await stream_side.enter(stream)
    first = await stream_side.read(stream)
    initial = stream.initial_metadata()
    rest = await stream_side.read_all(stream)

    assert [chunk.offset for chunk in [first, *rest]] == [0, 3, 6, 9]
    assert initial["x-served-by"] == "storage"
    assert stream.status_code() is grpc.StatusCode.OK
    assert stream.trailing_metadata()["x-chunks"] == "4"
    response = stream.response()
    assert (response.messages_sent(), response.messages_received()) == (1, 4)
    assert response.attempts() == 1


async def test_a_client_stream_sends_each_message_and_gets_one_reply(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    chunks = ChunksRequest.chunks(5, size=4)

    from_list = await stream_side.call(client, ChunksRequest(chunks))
    from_generator = await stream_side.call(client, ChunksRequest(chunk for chunk in chunks))

    for response in (from_list, from_generator):
        assert response.is_success(), response
        assert (response.message().chunks, response.message().size) == (5, 20)
        assert (response.messages_sent(), response.messages_received()) == (5, 1)


async def test_the_async_api_sends_an_async_generator(client: GrpcClient) -> None:
    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        for chunk in ChunksRequest.chunks(3):
            await asyncio.sleep(0)
            yield chunk

    response = await client.call_async(ChunksRequest(chunks()))

    assert response.message().chunks == 3


async def test_a_bidi_stream_answers_each_write_before_the_next_is_sent(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    async with asyncio.timeout(10):
        stream = await stream_side.open(client, ChunksRequest(None, method="ChecksumChunks"))
        await stream_side.enter(stream)
        answers = []
        for chunk in ChunksRequest.chunks(3, size=2):
            await stream_side.write(stream, chunk)
            answers.append(await stream_side.read(stream))
        await stream_side.done_writing(stream)
        rest = await stream_side.read_all(stream)

    assert [answer.offset for answer in answers] == [0, 2, 4]
    assert rest == []
    assert stream.is_success()
    assert stream.response().messages_sent() == 3


async def test_a_bidi_stream_can_send_its_requests_messages(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(
        client, ChunksRequest(ChunksRequest.chunks(4), method="ChecksumChunks")
    )

    answers = await stream_side.read_all(stream)

    assert len(answers) == 4
    assert stream.response().messages_sent() == 4


async def test_a_stream_that_fails_midway_raises_after_the_messages_that_arrived(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(
        client, DownloadRequest(chunks=5, metadata={"fail-after": "2", "fail-code": "DATA_LOSS"})
    )
    seen: list[object] = []

    with pytest.raises(RemoteServiceFailed, match="DATA_LOSS: failed after 2 messages"):
        await stream_side.read_into(stream, seen)

    assert len(seen) == 2
    assert stream.status_code() is grpc.StatusCode.DATA_LOSS
    assert stream.details() == "failed after 2 messages"
    assert stream.response().messages_received() == 2


async def test_a_streams_status_is_refused_until_it_has_ended(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, DownloadRequest(chunks=3))
    await stream_side.enter(stream)
    await stream_side.read(stream)

    with pytest.raises(GrpcStreamNotFinished, match="still open after 1 messages"):
        stream.status_code()
    await stream_side.close(stream)
    assert stream.response().closed_by_caller()


async def test_leaving_the_loop_early_cancels_the_call_on_the_server(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(
        client, DownloadRequest(chunks=1000, metadata={"delay-ms": "5"})
    )

    taken = await stream_side.read_some(stream, 2)

    [record] = storage.wait_for_ended(1, timeout=5.0)
    assert record.ended == "cancelled"
    assert len(taken) == 2
    assert stream.status_code() is grpc.StatusCode.CANCELLED
    assert stream.response().closed_by_caller()
    with pytest.raises(GrpcStreamClosed, match=r"closed by the caller after \d+ messages"):
        await stream_side.read(stream)


async def test_closing_a_stream_never_entered_sends_nothing(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, DownloadRequest())

    await stream_side.close(stream)
    await stream_side.call(client, DownloadRequest(method="StatObject"))

    assert [record.method for record in storage.wait_for_ended(1, timeout=5.0)] == ["StatObject"]
    assert stream.response().attempts() == 0


async def test_cancelling_the_reader_cancels_the_call_on_the_server(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(
        client, DownloadRequest(chunks=1000, metadata={"delay-ms": "50"})
    )
    await stream_side.enter(stream)
    await stream_side.read(stream)
    if stream_side.side == "sync":
        threading.Timer(0.05, stream.cancel).start()
        with pytest.raises(GrpcStreamClosed, match=r"closed by the caller after \d+ messages"):
            await stream_side.read_all(stream)
    else:
        reader = asyncio.ensure_future(stream_side.read_all(stream))
        await asyncio.sleep(0.05)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader

    [record] = storage.wait_for_ended(1, timeout=5.0)
    assert record.ended == "cancelled"


async def test_the_requests_timeout_bounds_the_whole_stream(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(
        client, DownloadRequest(chunks=100, timeout=0.5, metadata={"delay-ms": "100"})
    )

    with pytest.raises(RemoteServiceTimeout):
        await stream_side.read_all(stream)

    assert stream.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert 1 <= stream.messages_received < 10


async def test_a_failure_before_the_first_reply_is_retried(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, DownloadRequest(metadata={"fail-after": "0"}))

    with pytest.raises(RemoteServiceUnavailable):
        await stream_side.read_all(stream)

    assert stream.response().attempts() == 3
    assert storage.started("DownloadObject") == 3


async def test_a_failure_after_the_first_reply_is_never_retried(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, DownloadRequest(chunks=5, metadata={"fail-after": "1"}))

    with pytest.raises(RemoteServiceUnavailable):
        await stream_side.read_all(stream)

    assert stream.response().attempts() == 1
    assert storage.started("DownloadObject") == 1


async def test_a_client_stream_is_retried_only_when_its_messages_can_be_sent_again(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    # Failing once both chunks are in: a server that fails a client stream while the client
    # still writes makes grpc.aio report INTERNAL instead of its status (grpc/grpc#36066).
    failing = {"fail-after": "2"}
    replayed = await stream_side.call(
        client, ChunksRequest(ChunksRequest.chunks(2), metadata=failing)
    )
    once = await stream_side.call(
        client, ChunksRequest(iter(ChunksRequest.chunks(2)), metadata=failing)
    )

    assert (replayed.attempts(), once.attempts()) == (3, 1)
    assert storage.started("UploadObject") == 4


async def test_metadata_and_the_context_ids_travel_with_a_stream(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    with RequestContext.scope(trace_id="stream-trace-0001"):
        stream = await stream_side.open(client, DownloadRequest(metadata={"x-tenant": "acme"}))
        await stream_side.read_all(stream)

    [record] = storage.wait_for_ended(1, timeout=5.0)
    assert record.metadata["x-trace-id"] == "stream-trace-0001"
    assert record.metadata["x-tenant"] == "acme"


async def test_closing_a_stream_midway_cancels_the_call_on_the_server(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(
        client, DownloadRequest(chunks=1000, metadata={"delay-ms": "5"})
    )
    await stream_side.enter(stream)
    await stream_side.read(stream)

    await stream_side.close(stream)
    await stream_side.close(stream)  # twice is harmless

    [record] = storage.wait_for_ended(1, timeout=5.0)
    assert record.ended == "cancelled"
    assert stream.response().closed_by_caller()


async def test_a_stream_dropped_while_open_gives_its_bulkhead_slot_back(
    served: GrpcTestServer, storage: StorageService, stream_side: StreamSide
) -> None:
    bulkhead = BulkheadPolicy(max_in_flight=1, wait=False)
    with GrpcClient(served.target, bulkhead=bulkhead) as limited:
        stream = await stream_side.open(
            limited, DownloadRequest(chunks=1000, metadata={"delay-ms": "5"})
        )
        await stream_side.enter(stream)
        await stream_side.read(stream)
        del stream
        gc.collect()
        afterwards = await stream_side.call(limited, DownloadRequest(method="StatObject"))

    assert afterwards.is_success(), afterwards
    assert storage.wait_for_ended(2, timeout=5.0)[0].ended == "cancelled"


async def test_an_attempt_timeout_does_not_cut_a_stream_short(
    served: GrpcTestServer, stream_side: StreamSide
) -> None:
    capped = RetryPolicy(attempt_timeout=0.1)
    with GrpcClient(served.target, retry=capped) as client:
        stream = await stream_side.open(
            client, DownloadRequest(chunks=6, metadata={"delay-ms": "50"})
        )
        chunks = await stream_side.read_all(stream)

    assert len(chunks) == 6
    assert stream.is_success()


async def test_a_close_from_elsewhere_while_a_read_waits_ends_the_stream_as_closed(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, DownloadRequest(chunks=5, metadata={"delay-ms": "300"}))
    await stream_side.enter(stream)
    if stream_side.side == "sync":
        threading.Timer(0.1, stream.close).start()  # type: ignore[union-attr]
    else:
        closer = stream.aclose()  # type: ignore[union-attr]
        asyncio.get_running_loop().call_later(0.1, asyncio.ensure_future, closer)

    with pytest.raises(GrpcStreamClosed, match="closed by the caller after 0 messages"):
        await stream_side.read(stream)

    assert stream.finished
    assert stream.response().closed_by_caller()
    assert storage.wait_for_ended(1, timeout=5.0)[0].ended == "cancelled"


async def test_a_write_after_the_server_ended_the_stream_is_refused(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    chunk = ChunksRequest.chunks(1)[0]
    failing = ChunksRequest(None, method="ChecksumChunks", metadata={"fail-after": "1"})
    stream = await stream_side.open(client, failing)
    await stream_side.write(stream, chunk)
    await stream_side.read(stream)
    storage.wait_for_ended(1, timeout=5.0)
    await asyncio.sleep(0.2)

    with pytest.raises(GrpcStreamClosed, match="the message was not sent"):
        await stream_side.write(stream, chunk)
    with pytest.raises(RemoteServiceUnavailable):
        await stream_side.read(stream)
    assert stream.response().messages_sent() == 1
