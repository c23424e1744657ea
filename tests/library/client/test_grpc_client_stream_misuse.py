"""Each misuse of a stream is a named error, raised before anything it concerns is sent."""

from collections.abc import AsyncIterator, Iterator

import pytest

from grpc_request_client import (
    GrpcClient,
    GrpcStreamClosed,
    InvalidGrpcMessage,
    InvalidGrpcRequest,
    UnsupportedGrpcMethod,
)
from grpc_request_client.testing import GrpcTestServer
from protos import storage_pb2, user_pb2
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide

CHUNK = storage_pb2.ObjectChunk(object_key="k", data=b"z")


@pytest.fixture
async def client(storage: StorageService) -> AsyncIterator[GrpcClient]:
    with GrpcTestServer.start(storage) as server, GrpcClient(server.target) as opened:
        yield opened


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        pytest.param(
            DownloadRequest(),
            "DownloadObject is server streaming: make it with client.stream\\(request\\)",
            id="server-streaming-through-call",
        ),
        pytest.param(
            ChunksRequest(None, method="ChecksumChunks"),
            "ChecksumChunks is bidirectional streaming: make it with client.stream",
            id="bidi-through-call",
        ),
        pytest.param(
            DownloadRequest(method="UploadObject"),
            "UploadObject takes a stream of messages: extend StreamingGrpcRequest",
            id="one-message-to-a-client-stream",
        ),
        pytest.param(
            ChunksRequest([CHUNK], method="StatObject"),
            "StatObject takes one message: extend GrpcRequest",
            id="many-messages-to-a-unary-method",
        ),
    ],
)
async def test_call_refuses_what_it_cannot_make_naming_what_can(
    client: GrpcClient,
    storage: StorageService,
    stream_side: StreamSide,
    request_: object,
    says: str,
) -> None:
    with pytest.raises(UnsupportedGrpcMethod, match=says):
        await stream_side.call(client, request_)  # type: ignore[arg-type]

    assert storage.started("DownloadObject") + storage.started("UploadObject") == 0


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        pytest.param(
            DownloadRequest(method="StatObject"),
            "StatObject is unary: make it with client.call\\(request\\) \\(or call_async\\), "
            "not stream\\(\\)",
            id="unary",
        ),
        pytest.param(
            ChunksRequest([CHUNK]),
            "UploadObject is client streaming: make it with client.call",
            id="client-streaming",
        ),
    ],
)
async def test_stream_refuses_a_method_that_answers_once(
    client: GrpcClient, stream_side: StreamSide, request_: object, says: str
) -> None:
    with pytest.raises(UnsupportedGrpcMethod, match=says):
        await stream_side.open(client, request_)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("messages", "error", "says"),
    [
        pytest.param(
            [CHUNK, "chunk"],
            InvalidGrpcMessage,
            "takes storage.ObjectChunk; messages\\(\\) item 1 is str",
            id="not-a-message",
        ),
        pytest.param(
            [CHUNK, user_pb2.User()],
            InvalidGrpcMessage,
            "takes storage.ObjectChunk; messages\\(\\) item 1 is user.User",
            id="another-message",
        ),
        pytest.param(
            None,
            InvalidGrpcRequest,
            "messages\\(\\) returned None, which only a bidirectional stream takes",
            id="none-for-a-client-stream",
        ),
        pytest.param(
            42,
            InvalidGrpcRequest,
            "messages\\(\\) must return an iterable of messages.*got int",
            id="not-iterable",
        ),
        pytest.param(
            b"bytes",
            InvalidGrpcRequest,
            "messages\\(\\) must return an iterable of messages.*got bytes",
            id="bytes",
        ),
    ],
)
async def test_unusable_messages_are_refused_before_anything_is_sent(
    client: GrpcClient,
    storage: StorageService,
    stream_side: StreamSide,
    messages: object,
    error: type[Exception],
    says: str,
) -> None:
    with pytest.raises(error, match=says):
        await stream_side.call(client, ChunksRequest(messages))

    assert storage.started("UploadObject") == 0


async def test_a_bad_item_in_a_generator_cancels_the_call_so_nothing_passes_for_complete(
    client: GrpcClient, storage: StorageService, stream_side: StreamSide
) -> None:
    def chunks() -> Iterator[object]:
        yield CHUNK
        yield CHUNK
        yield "the third"

    with pytest.raises(InvalidGrpcMessage, match="messages\\(\\) item 2 is str"):
        await stream_side.call(client, ChunksRequest(chunks()))

    [record] = storage.wait_for_ended(1, timeout=5.0)
    assert record.ended == "cancelled"


def test_the_blocking_api_refuses_an_async_iterable(client: GrpcClient) -> None:
    async def chunks() -> AsyncIterator[storage_pb2.ObjectChunk]:
        yield CHUNK

    messages = chunks()
    with pytest.raises(InvalidGrpcRequest, match="returned an async iterable, which only"):
        client.call(ChunksRequest(messages))
    with pytest.raises(InvalidGrpcRequest, match="returned an async iterable, which only"):
        client.stream(ChunksRequest(messages, method="ChecksumChunks"))


async def test_writes_the_stream_cannot_take_are_refused_and_not_sent(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    written = await stream_side.open(client, ChunksRequest(None, method="ChecksumChunks"))
    sending = await stream_side.open(client, ChunksRequest([CHUNK], method="ChecksumChunks"))
    listing = await stream_side.open(client, DownloadRequest())

    with pytest.raises(
        InvalidGrpcMessage, match=r"takes storage\.ObjectChunk; write\(\) was given"
    ):
        await stream_side.write(written, user_pb2.User())
    await stream_side.write(written, CHUNK)
    await stream_side.done_writing(written)
    await stream_side.done_writing(written)  # twice is harmless
    with pytest.raises(GrpcStreamClosed, match="write\\(\\) after done_writing\\(\\)"):
        await stream_side.write(written, CHUNK)
    for refused in (sending, listing):
        with pytest.raises(GrpcStreamClosed, match="sends its request's own message"):
            await stream_side.write(refused, CHUNK)

    assert len(await stream_side.read_all(written)) == 1
    assert written.response().messages_sent() == 1
    for stream in (sending, listing):
        await stream_side.close(stream)


async def test_a_write_after_the_stream_ended_is_refused(
    client: GrpcClient, stream_side: StreamSide
) -> None:
    stream = await stream_side.open(client, ChunksRequest(None, method="ChecksumChunks"))
    await stream_side.enter(stream)
    await stream_side.close(stream)

    with pytest.raises(GrpcStreamClosed, match="the stream has ended \\(CANCELLED\\)"):
        await stream_side.write(stream, CHUNK)
