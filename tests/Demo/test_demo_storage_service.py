"""The demo's ``storage.ObjectStorage``, through the client: what the docs and the demo rely on."""

import zlib
from collections.abc import Iterator

import grpc
import pytest

from app.Demo.ChecksumChunksGrpcRequest import ChecksumChunksGrpcRequest
from app.Demo.DemoServer import DemoServer
from app.Demo.DemoStorageService import SAMPLE_DATA, SAMPLE_KEY
from app.Demo.DownloadObjectGrpcRequest import DownloadObjectGrpcRequest
from app.Demo.UploadObjectGrpcRequest import UploadObjectGrpcRequest
from grpc_request_client import (
    GrpcClient,
    RemoteRequestInvalid,
    RemoteResourceNotFound,
    StreamingGrpcRequest,
)
from grpc_request_client.request import RequestMessages
from protos.storage_pb2 import ObjectChunk


class ChunksGrpcRequest(StreamingGrpcRequest):
    """An upload of the chunks given, as they are: to send the demo what it must refuse."""

    def __init__(self, chunks: list[ObjectChunk]) -> None:
        self._chunks = chunks

    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return "UploadObject"

    def messages(self) -> RequestMessages:
        return self._chunks


class StatObjectGrpcRequest(DownloadObjectGrpcRequest):
    """The same message to ``StatObject`` (unary), which answers the upload's result again."""

    def method_name(self) -> str:
        return "StatObject"


@pytest.fixture(scope="module")
def served() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture
def client(served: DemoServer) -> Iterator[GrpcClient]:
    with GrpcClient(served.target, default_timeout=5.0) as opened:
        yield opened


def _download(client: GrpcClient, key: str, chunk_size: int, chunks: int = 0) -> bytes:
    with client.stream(DownloadObjectGrpcRequest(key, chunk_size, chunks)) as stream:
        return b"".join(chunk.data for chunk in stream)


def test_an_upload_is_summed_up_stored_and_read_back(client: GrpcClient) -> None:
    data = bytes(range(256)) * 5

    response = client.call(UploadObjectGrpcRequest("t/up.bin", data, chunk_size=500))
    stat = client.call(StatObjectGrpcRequest("t/up.bin", chunk_size=1))

    expected = (len(data), 3, f"{zlib.crc32(data):08x}")
    result = response.message()
    assert (result.size, result.chunks, result.etag) == expected
    assert response.messages_sent() == 3
    assert stat.message() == result
    assert _download(client, "t/up.bin", chunk_size=100) == data


def test_an_empty_object_is_one_empty_chunk(client: GrpcClient) -> None:
    response = client.call(UploadObjectGrpcRequest("t/empty", b""))

    assert (response.message().size, response.message().chunks) == (0, 1)
    assert response.messages_sent() == 1


def test_the_sample_object_is_there_from_the_start(client: GrpcClient) -> None:
    assert _download(client, SAMPLE_KEY, chunk_size=140) == SAMPLE_DATA
    assert len(SAMPLE_DATA) == 434


def test_asking_for_more_chunks_than_stored_fails_after_sending_those_there_are(
    client: GrpcClient,
) -> None:
    seen = []
    stream = client.stream(DownloadObjectGrpcRequest(SAMPLE_KEY, 140, chunks=5))
    with pytest.raises(RemoteRequestInvalid, match="holds 4 chunks of 140 bytes, not 5"):
        seen.extend(stream)

    assert [len(chunk.data) for chunk in seen] == [140, 140, 140, 14]
    assert stream.status_code() is grpc.StatusCode.OUT_OF_RANGE


@pytest.mark.parametrize(
    ("key", "chunk_size", "error", "details"),
    [
        ("no/such", 10, RemoteResourceNotFound, "no object 'no/such'"),
        (SAMPLE_KEY, 0, RemoteRequestInvalid, "chunk_size must be positive"),
    ],
)
def test_a_download_that_cannot_start_fails_before_any_chunk(
    client: GrpcClient, key: str, chunk_size: int, error: type[Exception], details: str
) -> None:
    with pytest.raises(error, match=details):
        _download(client, key, chunk_size)


@pytest.mark.parametrize(
    ("chunks", "details"),
    [
        ([ObjectChunk(offset=0, data=b"x")], "an upload needs chunks naming their object_key"),
        ([], "an upload needs chunks naming their object_key"),
        (
            [ObjectChunk(object_key="k", data=b"ab"), ObjectChunk(offset=3, data=b"c")],
            "chunk 1 starts at offset 3, not 2",
        ),
    ],
)
def test_an_upload_that_does_not_add_up_is_refused(
    client: GrpcClient, chunks: list[ObjectChunk], details: str
) -> None:
    response = client.call(ChunksGrpcRequest(chunks))

    assert (response.status_code(), response.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        details,
    )


def test_each_chunk_written_is_answered_with_its_checksum(client: GrpcClient) -> None:
    with client.stream(ChecksumChunksGrpcRequest()) as checksums:
        answers = []
        for offset, data in ((0, b"abc"), (3, b"defg")):
            checksums.write(ObjectChunk(object_key="k", offset=offset, data=data))
            answers.append(checksums.read())
        checksums.done_writing()
        assert list(checksums) == []

    assert [(a.offset, a.size, a.crc32) for a in answers] == [
        (0, 3, f"{zlib.crc32(b'abc'):08x}"),
        (3, 4, f"{zlib.crc32(b'defg'):08x}"),
    ]


def test_a_chunk_size_that_is_not_a_positive_int_is_refused() -> None:
    with pytest.raises(ValueError, match="chunk_size must be a positive int of bytes, got 0"):
        UploadObjectGrpcRequest("k", b"data", chunk_size=0)


def test_stat_of_an_unknown_object_is_not_found(client: GrpcClient) -> None:
    response = client.call(StatObjectGrpcRequest("no/such", chunk_size=1))

    assert response.status_code() is grpc.StatusCode.NOT_FOUND
