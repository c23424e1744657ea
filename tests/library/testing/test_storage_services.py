"""The storage test servicers, sync and aio, through raw grpcio stubs: one body, both kinds."""

import queue
import zlib
from collections.abc import Iterator

import grpc
import pytest

from grpc_request_client.testing import GrpcTestServer
from protos import storage_pb2, storage_pb2_grpc
from tests.Support.AsyncStorageService import AsyncStorageService
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.StorageService import StorageService

Stub = storage_pb2_grpc.ObjectStorageStub


@pytest.fixture(params=["sync", "aio"])
def storage(request: pytest.FixtureRequest) -> BaseStorageService:
    return StorageService() if request.param == "sync" else AsyncStorageService()


@pytest.fixture
def stub(storage: BaseStorageService) -> Iterator[Stub]:
    with (
        GrpcTestServer.start(storage) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        yield Stub(channel)


def _download(chunks: int, size: int = 4) -> storage_pb2.DownloadRequest:
    return storage_pb2.DownloadRequest(object_key="report.csv", chunks=chunks, chunk_size=size)


def _chunks(*data: bytes) -> list[storage_pb2.ObjectChunk]:
    return [storage_pb2.ObjectChunk(object_key="up", offset=i, data=d) for i, d in enumerate(data)]


def test_each_method_answers_what_it_is_sent(stub: Stub) -> None:
    downloaded = list(stub.DownloadObject(_download(3), timeout=5))
    uploaded = stub.UploadObject(iter(_chunks(b"abc", b"de")), timeout=5)
    stat = stub.StatObject(_download(3, size=10), timeout=5)

    assert [(c.object_key, c.offset, c.data) for c in downloaded] == [
        ("report.csv", offset, b"xxxx") for offset in (0, 4, 8)
    ]
    assert (uploaded.object_key, uploaded.size, uploaded.chunks) == ("up", 5, 2)
    assert uploaded.etag == f"{zlib.crc32(b'abcde'):08x}"
    assert (stat.object_key, stat.size, stat.chunks, stat.etag) == ("report.csv", 30, 3, "")


def test_checksum_chunks_answers_each_chunk_as_it_arrives(stub: Stub) -> None:
    requests: queue.Queue[storage_pb2.ObjectChunk | None] = queue.Queue()
    answers = stub.ChecksumChunks(iter(requests.get, None), timeout=5)
    seen = []
    for chunk in _chunks(b"a", b"bc"):
        requests.put(chunk)
        seen.append(next(answers))  # answered before the next chunk is sent
    requests.put(None)

    assert list(answers) == []
    assert [(a.offset, a.size, a.crc32) for a in seen] == [
        (0, 1, f"{zlib.crc32(b'a'):08x}"),
        (1, 2, f"{zlib.crc32(b'bc'):08x}"),
    ]


def test_every_call_sends_who_served_it_and_how_many_messages_it_counted(stub: Stub) -> None:
    _, unary = stub.StatObject.with_call(_download(1), timeout=5)
    _, upload = stub.UploadObject.with_call(iter(_chunks(b"a", b"b", b"c")), timeout=5)
    download = stub.DownloadObject(_download(4), timeout=5)
    list(download)

    for call, counted in ((unary, "1"), (upload, "3"), (download, "4")):
        assert dict(call.initial_metadata()) == {"x-served-by": "storage"}
        assert dict(call.trailing_metadata()) == {"x-chunks": counted}


def test_fail_after_ends_a_server_stream_after_that_many_messages_sent(
    stub: Stub, storage: BaseStorageService
) -> None:
    failing = (("fail-after", "2"), ("fail-code", "DATA_LOSS"))
    stream = stub.DownloadObject(_download(5), metadata=failing, timeout=5)
    arrived = []

    with pytest.raises(grpc.RpcError) as failed:
        arrived.extend(stream)

    assert len(arrived) == 2
    assert (failed.value.code(), failed.value.details()) == (
        grpc.StatusCode.DATA_LOSS,
        "failed after 2 messages",
    )
    assert dict(failed.value.trailing_metadata()) == {"x-chunks": "2"}
    [record] = storage.wait_for_ended(1, timeout=5)
    assert (record.ended, record.sent, record.metadata["fail-after"]) == ("aborted", 2, "2")


@pytest.mark.parametrize(
    ("method", "after", "received"),
    [
        pytest.param("UploadObject", "0", 0, id="upload-at-once"),
        pytest.param("UploadObject", "2", 2, id="upload-after-2"),
        pytest.param("StatObject", "0", 1, id="unary-at-once"),
        pytest.param("ChecksumChunks", "1", 1, id="bidi-after-1-sent"),
    ],
)
def test_fail_after_fails_every_kind_of_call_unavailable_by_default(
    stub: Stub, storage: BaseStorageService, method: str, after: str, received: int
) -> None:
    metadata = (("fail-after", after),)
    chunks = iter(_chunks(b"a", b"b", b"c", b"d"))
    calls = {
        "StatObject": lambda: stub.StatObject(_download(1), metadata=metadata, timeout=5),
        "UploadObject": lambda: stub.UploadObject(chunks, metadata=metadata, timeout=5),
        "ChecksumChunks": lambda: list(stub.ChecksumChunks(chunks, metadata=metadata, timeout=5)),
    }

    with pytest.raises(grpc.RpcError) as failed:
        calls[method]()

    assert failed.value.code() is grpc.StatusCode.UNAVAILABLE
    assert failed.value.details() == f"failed after {after} messages"
    [record] = storage.wait_for_ended(1, timeout=5)
    assert (record.method, record.ended, record.received) == (method, "aborted", received)


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        pytest.param((("fail-after", "two"),), "fail-after must be a count, got 'two'", id="n"),
        pytest.param((("delay-ms", "-5"),), "delay-ms must be a count, got '-5'", id="delay"),
        pytest.param((("settle-ms", "1.5"),), "settle-ms must be a count, got '1.5'", id="settle"),
        pytest.param(
            (("fail-after", "1"), ("fail-code", "NOPE")),
            "fail-code must name a grpc.StatusCode other than OK, got 'NOPE'",
            id="code",
        ),
        pytest.param(
            (("fail-code", "OK"),),
            "fail-code must name a grpc.StatusCode other than OK, got 'OK'",
            id="ok",
        ),
    ],
)
def test_fault_metadata_it_cannot_read_fails_the_call_saying_which(
    stub: Stub, storage: BaseStorageService, metadata: tuple[tuple[str, str], ...], says: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        stub.StatObject(_download(1), metadata=metadata, timeout=5)

    assert (refused.value.code(), refused.value.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        says,
    )
    assert storage.wait_for_ended(1, timeout=5)[0].ended == "aborted"


def test_an_upload_the_client_half_closed_is_ok_once_settle_ms_passed_without_a_cancel(
    stub: Stub, storage: BaseStorageService
) -> None:
    uploaded = stub.UploadObject(
        iter(_chunks(b"a", b"b")), metadata=(("settle-ms", "50"),), timeout=5
    )

    assert uploaded.chunks == 2
    [record] = storage.wait_for_ended(1, timeout=5)
    assert (record.ended, record.received) == ("ok", 2)


def test_a_stream_the_client_cancels_is_recorded_cancelled(
    stub: Stub, storage: BaseStorageService
) -> None:
    stream = stub.DownloadObject(_download(1000), metadata=(("delay-ms", "5"),), timeout=5)
    next(stream)
    stream.cancel()

    record = storage.wait_for_cancelled(timeout=5)

    assert (record.method, record.received) == ("DownloadObject", 1)
    assert 1 <= record.sent < 1000


def test_a_bidi_stream_the_client_cancels_while_the_server_waits_is_recorded_cancelled(
    stub: Stub, storage: BaseStorageService
) -> None:
    requests: queue.Queue[storage_pb2.ObjectChunk | None] = queue.Queue()
    answers = stub.ChecksumChunks(iter(requests.get, None), timeout=5)
    requests.put(_chunks(b"a")[0])
    next(answers)
    answers.cancel()

    record = storage.wait_for_cancelled(timeout=5)
    requests.put(None)  # lets grpc's request-sending thread end

    assert (record.method, record.received, record.sent) == ("ChecksumChunks", 1, 1)


def test_a_call_whose_deadline_passes_is_recorded_cancelled(
    stub: Stub, storage: BaseStorageService
) -> None:
    with pytest.raises(grpc.RpcError) as late:
        stub.StatObject(_download(1), metadata=(("delay-ms", "100"),), timeout=0.05)

    assert late.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert storage.wait_for_cancelled(timeout=5).method == "StatObject"


def test_calls_are_counted_per_method_and_recorded_with_their_metadata(
    stub: Stub, storage: BaseStorageService
) -> None:
    stub.StatObject(_download(1), metadata=(("x-tenant", "acme"),), timeout=5)
    list(stub.DownloadObject(_download(2), timeout=5))
    stub.StatObject(_download(1), timeout=5)

    ended = storage.wait_for_ended(3, timeout=5)

    assert [storage.started(method) for method in ("StatObject", "DownloadObject")] == [2, 1]
    assert storage.started("UploadObject") == 0
    assert [(r.method, r.ended) for r in ended] == [
        ("StatObject", "ok"),
        ("DownloadObject", "ok"),
        ("StatObject", "ok"),
    ]
    assert ended[0].metadata["x-tenant"] == "acme"
    assert (ended[1].received, ended[1].sent) == (1, 2)


def test_waiting_for_what_never_happens_fails_the_test_saying_what_was_waited_for(
    stub: Stub, storage: BaseStorageService
) -> None:
    stub.StatObject(_download(1), timeout=5)

    with pytest.raises(AssertionError, match=r"waited 0\.05 s for 2 calls to end; the calls: "):
        storage.wait_for_ended(2, timeout=0.05)
    with pytest.raises(AssertionError, match=r"for a call to end cancelled.*method='StatObject'"):
        storage.wait_for_cancelled(timeout=0.05)


@pytest.mark.parametrize(
    ("wait", "says"),
    [
        pytest.param(lambda s: s.started("GetObject"), "has no method 'GetObject'", id="method"),
        pytest.param(lambda s: s.wait_for_ended(0, 1.0), "count must be an int", id="count"),
        pytest.param(lambda s: s.wait_for_ended(1, 0), "timeout must be a number", id="timeout"),
        pytest.param(lambda s: s.wait_for_cancelled("1"), "got '1'", id="timeout-str"),
    ],
)
def test_a_question_it_cannot_answer_is_refused(wait: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        wait(StorageService())  # type: ignore[operator]
