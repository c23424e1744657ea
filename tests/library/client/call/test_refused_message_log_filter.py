import logging

import pytest

from grpc_request_client import GrpcClient, GrpcRequestMessagesFailed, InvalidGrpcMessage
from grpc_request_client.grpcio_transport import RefusedMessageLogFilter
from grpc_request_client.testing import GrpcTestServer
from protos import storage_pb2
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.StorageService import StorageService


def _record(error: BaseException | None) -> logging.LogRecord:
    exc_info = None if error is None else (type(error), error, None)
    return logging.LogRecord("grpc._channel", logging.ERROR, "", 0, "msg", (), exc_info)


def test_only_the_records_of_what_the_client_raises_itself_are_dropped() -> None:
    kept = RefusedMessageLogFilter()

    assert not kept.filter(_record(InvalidGrpcMessage("item 2 is str")))
    assert not kept.filter(_record(GrpcRequestMessagesFailed("messages() raised OSError")))
    assert kept.filter(_record(ValueError("a generator of the caller's own failed")))
    assert kept.filter(_record(None))


def test_installing_twice_adds_one_filter() -> None:
    RefusedMessageLogFilter.install()
    RefusedMessageLogFilter.install()

    filters = logging.getLogger("grpc._channel").filters
    assert sum(isinstance(each, RefusedMessageLogFilter) for each in filters) == 1


def test_a_refused_item_of_a_blocking_client_stream_is_raised_and_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def chunks() -> object:
        yield storage_pb2.ObjectChunk(data=b"z")
        yield "not a chunk"

    storage = StorageService()
    with (
        GrpcTestServer.start(storage) as server,
        GrpcClient(server.target) as client,
        caplog.at_level(logging.DEBUG, logger="grpc._channel"),
        pytest.raises(InvalidGrpcMessage, match=r"messages\(\) item 1 is str"),
    ):
        client.call(ChunksRequest(chunks()))

    assert not [r for r in caplog.records if "iterating requests" in r.getMessage()]
    assert storage.wait_for_ended(1, timeout=5.0)[0].ended == "cancelled"
