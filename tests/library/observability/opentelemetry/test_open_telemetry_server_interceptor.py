"""The OpenTelemetry server interceptors: a SERVER span per call, the caller's span its parent."""

from collections.abc import Iterator

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from grpc_request_client import GrpcClient, InvalidOpenTelemetrySetup, RetryPolicy
from grpc_request_client.otel import (
    AsyncOpenTelemetryServerInterceptor,
    OpenTelemetryClientStage,
    OpenTelemetryServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.StreamSide import StreamSide
from tests.Support.Telemetry import Telemetry

NO_RETRY = RetryPolicy(max_attempts=1)
INTERCEPTORS = {"sync": OpenTelemetryServerInterceptor, "aio": AsyncOpenTelemetryServerInterceptor}


@pytest.fixture
def served(
    storage: BaseStorageService, server_kind: str, telemetry: Telemetry
) -> Iterator[GrpcTestServer]:
    interceptor = INTERCEPTORS[server_kind](tracer_provider=telemetry.tracer_provider)
    with GrpcTestServer.start(storage, interceptors=[interceptor]) as server:
        yield server


@pytest.fixture
def client(served: GrpcTestServer, telemetry: Telemetry) -> Iterator[GrpcClient]:
    stage = OpenTelemetryClientStage(tracer_provider=telemetry.tracer_provider)
    with GrpcClient(served.target, retry=NO_RETRY, stages=[stage]) as traced:
        yield traced


def _failing(code: str, after: int = 0) -> dict[str, str]:
    return {"fail-after": str(after), "fail-code": code}


async def test_the_server_span_is_the_client_spans_child_in_the_same_trace(
    client: GrpcClient, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    response = await stream_side.call(client, DownloadRequest(method="StatObject"))

    assert response.is_success()
    client_span, server_span = telemetry.span(SpanKind.CLIENT), telemetry.span(SpanKind.SERVER)
    assert server_span.name == "storage.ObjectStorage/StatObject"
    assert server_span.context.trace_id == client_span.context.trace_id
    assert server_span.parent is not None
    assert server_span.parent.span_id == client_span.context.span_id
    assert server_span.parent.is_remote
    assert Telemetry.attributes(server_span) == {
        "rpc.system.name": "grpc",
        "rpc.method": "storage.ObjectStorage/StatObject",
        "rpc.response.status_code": "OK",
        "rpc.status_code": "OK",
    }
    assert server_span.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize(
    ("code", "is_error"),
    [
        ("NOT_FOUND", False),
        ("INVALID_ARGUMENT", False),
        ("PERMISSION_DENIED", False),
        ("INTERNAL", True),
        ("UNAVAILABLE", True),
        ("DATA_LOSS", True),
    ],
)
async def test_only_the_servers_own_faults_are_errors_on_its_span(
    client: GrpcClient, telemetry: Telemetry, stream_side: StreamSide, code: str, is_error: bool
) -> None:
    await stream_side.call(client, DownloadRequest(method="StatObject", metadata=_failing(code)))

    server_span = telemetry.span(SpanKind.SERVER)
    attributes = Telemetry.attributes(server_span)
    assert attributes["rpc.status_code"] == code
    assert ("error.type" in attributes) is is_error
    expected = StatusCode.ERROR if is_error else StatusCode.UNSET
    assert server_span.status.status_code is expected
    assert telemetry.span(SpanKind.CLIENT).status.status_code is StatusCode.ERROR


async def test_each_stream_kind_is_one_server_span(
    client: GrpcClient, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    await stream_side.read_all(await stream_side.open(client, DownloadRequest(chunks=3)))
    await stream_side.call(client, ChunksRequest(ChunksRequest.chunks(2)))
    bidi = ChunksRequest(ChunksRequest.chunks(2), method="ChecksumChunks")
    await stream_side.read_all(await stream_side.open(client, bidi))

    by_name = {span.name: span for span in telemetry.wait_for(SpanKind.SERVER, 3)}
    assert set(by_name) == {
        "storage.ObjectStorage/DownloadObject",
        "storage.ObjectStorage/UploadObject",
        "storage.ObjectStorage/ChecksumChunks",
    }
    clients = {span.name: span for span in telemetry.spans(SpanKind.CLIENT)}
    for name, server_span in by_name.items():
        assert server_span.parent is not None
        assert server_span.parent.span_id == clients[name].context.span_id
        assert Telemetry.attributes(server_span)["rpc.status_code"] == "OK"


async def test_a_stream_the_client_leaves_ends_cancelled_on_the_server(
    client: GrpcClient,
    storage: BaseStorageService,
    telemetry: Telemetry,
    stream_side: StreamSide,
) -> None:
    # 20 ms between chunks: the server is still sending when the client leaves, so the end it
    # sees is the client's cancel, never a stream it had already finished writing.
    slow = DownloadRequest(chunks=50, metadata={"delay-ms": "20"})
    await stream_side.read_some(await stream_side.open(client, slow), 1)
    record = storage.wait_for_cancelled(timeout=5.0)

    assert record.sent < 50

    server_span = telemetry.span(SpanKind.SERVER)
    assert Telemetry.attributes(server_span)["rpc.status_code"] == "CANCELLED"


async def test_a_call_with_no_w3c_context_starts_a_trace_on_the_server(
    served: GrpcTestServer, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    legacy = DownloadRequest(method="StatObject", metadata={"x-trace-id": "legacy-trace-0001"})
    with GrpcClient(served.target, retry=NO_RETRY) as untraced:
        await stream_side.call(untraced, legacy)

    server_span = telemetry.span(SpanKind.SERVER)
    assert server_span.parent is None
    assert telemetry.spans(SpanKind.CLIENT) == []


async def test_a_caller_that_sent_only_a_w3c_x_trace_id_is_the_server_spans_remote_parent(
    served: GrpcTestServer, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    legacy = DownloadRequest(
        method="StatObject", metadata={"x-trace-id": "4bf92f3577b34da6a3ce929d0e0e4736"}
    )
    with GrpcClient(served.target, retry=NO_RETRY) as untraced:
        await stream_side.call(untraced, legacy)

    server_span = telemetry.span(SpanKind.SERVER)
    assert f"{server_span.context.trace_id:032x}" == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert server_span.parent is not None
    assert server_span.parent.is_remote


async def test_the_older_conventions_are_added_to_server_spans_with_rpc_dup(
    storage: BaseStorageService,
    server_kind: str,
    telemetry: Telemetry,
    stream_side: StreamSide,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "rpc/dup")
    interceptor = INTERCEPTORS[server_kind](tracer_provider=telemetry.tracer_provider)
    with (
        GrpcTestServer.start(storage, interceptors=[interceptor]) as served,
        GrpcClient(served.target, retry=NO_RETRY) as client,
    ):
        await stream_side.call(
            client, DownloadRequest(method="StatObject", metadata=_failing("NOT_FOUND"))
        )

    assert Telemetry.attributes(telemetry.span(SpanKind.SERVER)) == {
        "rpc.system.name": "grpc",
        "rpc.system": "grpc",
        "rpc.method": "storage.ObjectStorage/StatObject",
        "rpc.service": "storage.ObjectStorage",
        "rpc.response.status_code": "NOT_FOUND",
        "rpc.status_code": "NOT_FOUND",
        "rpc.grpc.status_code": 5,
    }


@pytest.mark.parametrize("kind", ["sync", "aio"])
def test_an_argument_of_the_wrong_kind_is_refused_when_the_interceptor_is_made(
    kind: str,
) -> None:
    with pytest.raises(InvalidOpenTelemetrySetup, match=r"^tracer_provider must be"):
        INTERCEPTORS[kind](tracer_provider="jaeger")  # type: ignore[arg-type]
