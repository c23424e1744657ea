"""OpenTelemetryClientStage: one CLIENT span per call and stream, its propagation, its duration."""

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
from structlog.testing import capture_logs

from grpc_request_client import (
    BulkheadPolicy,
    GrpcCallStage,
    GrpcClient,
    GrpcInvocation,
    InvalidOpenTelemetrySetup,
    RemoteServiceError,
    RequestContext,
    RetryPolicy,
)
from grpc_request_client.metadata import MetadataPairs
from grpc_request_client.otel import ADVISED_BUCKETS, OpenTelemetryClientStage
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.MetricSamples import MetricSamples
from tests.Support.RefusedPort import RefusedPort
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide
from tests.Support.Telemetry import Telemetry

NO_RETRY = RetryPolicy(max_attempts=1)
THREE_TRIES = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.01, jitter=0.0)
STAT = "storage.ObjectStorage/StatObject"


@pytest.fixture
def storage() -> StorageService:
    return StorageService()


@pytest.fixture
def served(storage: StorageService) -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(storage) as server:
        yield server


def _stage(telemetry: Telemetry) -> OpenTelemetryClientStage:
    return OpenTelemetryClientStage(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )


@pytest.fixture
def client(served: GrpcTestServer, telemetry: Telemetry) -> Iterator[GrpcClient]:
    with GrpcClient(served.target, retry=NO_RETRY, stages=[_stage(telemetry)]) as traced:
        yield traced


def _failing(code: str, after: int = 0) -> dict[str, str]:
    return {"fail-after": str(after), "fail-code": code}


async def test_a_call_is_one_client_span_named_and_attributed_by_the_conventions(
    client: GrpcClient, served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    response = await invoke(client, DownloadRequest(method="StatObject"))

    assert response.is_success()
    span = telemetry.span(SpanKind.CLIENT)
    assert span.name == STAT
    assert Telemetry.attributes(span) == {
        "rpc.system.name": "grpc",
        "rpc.method": STAT,
        "rpc.response.status_code": "OK",
        "rpc.status_code": "OK",
        "server.address": "127.0.0.1",
        "server.port": int(served.target.rsplit(":", 1)[1]),
    }
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None
    assert span.events == ()


@pytest.mark.parametrize(
    "code", ["NOT_FOUND", "INVALID_ARGUMENT", "UNAVAILABLE", "INTERNAL", "PERMISSION_DENIED"]
)
async def test_every_status_but_ok_is_an_error_with_its_type(
    client: GrpcClient, telemetry: Telemetry, invoke: Invoke, code: str
) -> None:
    response = await invoke(client, DownloadRequest(method="StatObject", metadata=_failing(code)))

    assert response.status_code().name == code
    span = telemetry.span(SpanKind.CLIENT)
    attributes = Telemetry.attributes(span)
    assert attributes["rpc.response.status_code"] == attributes["rpc.status_code"] == code
    assert attributes["error.type"] == code
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == code  # grpc's details may quote a server's exception


async def test_a_deadline_that_passes_is_deadline_exceeded(
    client: GrpcClient, telemetry: Telemetry, invoke: Invoke
) -> None:
    slow = DownloadRequest(method="StatObject", metadata={"delay-ms": "2000"}, timeout=0.2)

    await invoke(client, slow)

    attributes = Telemetry.attributes(telemetry.span(SpanKind.CLIENT))
    assert attributes["error.type"] == "DEADLINE_EXCEEDED"


async def test_the_older_conventions_are_added_with_rpc_dup(
    served: GrpcTestServer,
    telemetry: Telemetry,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http, rpc/dup")
    with GrpcClient(served.target, retry=NO_RETRY, stages=[_stage(telemetry)]) as client:
        await invoke(client, DownloadRequest(method="StatObject", metadata=_failing("NOT_FOUND")))

    attributes = Telemetry.attributes(telemetry.span(SpanKind.CLIENT))
    assert attributes["rpc.system"] == attributes["rpc.system.name"] == "grpc"
    assert attributes["rpc.service"] == "storage.ObjectStorage"
    assert attributes["rpc.method"] == STAT
    assert attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert attributes["rpc.response.status_code"] == "NOT_FOUND"
    (current,) = telemetry.points("rpc.client.call.duration")
    assert not {"rpc.system", "rpc.service", "rpc.grpc.status_code"} & set(current.attributes)
    older = telemetry.metric("rpc.client.duration")
    assert older.unit == "ms"
    (point,) = older.data.data_points
    assert dict(point.attributes) == {
        "rpc.system": "grpc",
        "rpc.service": "storage.ObjectStorage",
        "rpc.method": "StatObject",
        "rpc.grpc.status_code": 5,
        "server.address": "127.0.0.1",
        "server.port": int(served.target.rsplit(":", 1)[1]),
    }


@pytest.mark.parametrize("opt_in", ["", "rpc", "http,database"])
async def test_without_rpc_dup_only_the_current_conventions_are_emitted(
    served: GrpcTestServer,
    telemetry: Telemetry,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    opt_in: str,
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", opt_in)
    with GrpcClient(served.target, retry=NO_RETRY, stages=[_stage(telemetry)]) as client:
        await invoke(client, DownloadRequest(method="StatObject"))

    attributes = Telemetry.attributes(telemetry.span(SpanKind.CLIENT))
    assert not {"rpc.system", "rpc.service", "rpc.grpc.status_code"} & set(attributes)
    assert telemetry.metric("rpc.client.duration") is None


async def test_the_call_duration_is_a_histogram_of_seconds_with_the_advised_buckets(
    client: GrpcClient, served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    await invoke(client, DownloadRequest(method="StatObject"))
    await invoke(client, DownloadRequest(method="StatObject", metadata=_failing("NOT_FOUND")))

    metric = telemetry.metric("rpc.client.call.duration")
    assert metric.unit == "s"
    points = {
        point.attributes["rpc.response.status_code"]: point for point in metric.data.data_points
    }
    assert set(points) == {"OK", "NOT_FOUND"}
    ok = points["OK"]
    assert ok.count == 1
    assert 0 < ok.sum < 5
    assert tuple(ok.explicit_bounds) == ADVISED_BUCKETS
    assert dict(ok.attributes) == {
        "rpc.system.name": "grpc",
        "rpc.method": STAT,
        "rpc.response.status_code": "OK",
        "rpc.status_code": "OK",
        "server.address": "127.0.0.1",
        "server.port": int(served.target.rsplit(":", 1)[1]),
    }
    assert points["NOT_FOUND"].attributes["error.type"] == "NOT_FOUND"


async def test_the_span_context_goes_out_in_the_metadata_with_the_same_trace_id(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    await invoke(client, DownloadRequest(method="StatObject"))

    span = telemetry.span(SpanKind.CLIENT)
    (record,) = storage.records
    trace_id, span_id = f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"
    version, sent_trace, sent_parent, _ = record.metadata["traceparent"].split("-")
    assert (version, sent_trace, sent_parent) == ("00", trace_id, span_id)
    assert record.metadata["x-trace-id"] == trace_id


async def test_a_call_inside_a_span_is_its_child_and_the_request_context_follows_it(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    with RequestContext.scope(), telemetry.tracer.start_as_current_span("handler") as parent:
        trace_id = f"{parent.get_span_context().trace_id:032x}"
        seen = RequestContext.get_trace_id()
        await invoke(client, DownloadRequest(method="StatObject"))

    span = telemetry.span(SpanKind.CLIENT)
    assert seen == trace_id
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.context.trace_id == parent.get_span_context().trace_id
    (record,) = storage.records
    assert record.metadata["x-trace-id"] == trace_id


async def test_baggage_and_tracestate_travel_with_the_global_propagator(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    from opentelemetry import baggage, context  # noqa: PLC0415  # only this test sets baggage

    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        await invoke(client, DownloadRequest(method="StatObject"))
    finally:
        context.detach(token)

    (record,) = storage.records
    assert record.metadata["baggage"] == "tenant=acme"


async def test_a_request_that_sets_traceparent_itself_sends_the_spans_instead(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    stale = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    request = DownloadRequest(method="StatObject", metadata={"traceparent": stale})

    await invoke(client, request)

    (record,) = storage.records
    span = telemetry.span(SpanKind.CLIENT)
    assert record.metadata["traceparent"].split("-")[1] == f"{span.context.trace_id:032x}"
    assert stale not in record.metadata.values()


async def test_retries_are_one_span_with_an_event_per_attempt(
    served: GrpcTestServer, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    with GrpcClient(served.target, retry=THREE_TRIES, stages=[_stage(telemetry)]) as client:
        response = await invoke(
            client, DownloadRequest(method="StatObject", metadata=_failing("UNAVAILABLE"))
        )

    assert response.attempts() == 3
    assert storage.started("StatObject") == 3
    span = telemetry.span(SpanKind.CLIENT)
    assert Telemetry.attributes(span)["grpc.attempts"] == 3
    events = [(event.name, dict(event.attributes or {})) for event in span.events]
    assert events == [
        (
            "grpc.attempt",
            {"grpc.attempt.number": 1, "grpc.status": "UNAVAILABLE", "grpc.backoff_seconds": 0.01},
        ),
        (
            "grpc.attempt",
            {"grpc.attempt.number": 2, "grpc.status": "UNAVAILABLE", "grpc.backoff_seconds": 0.01},
        ),
        ("grpc.attempt", {"grpc.attempt.number": 3, "grpc.status": "UNAVAILABLE"}),
    ]
    assert len(telemetry.points("rpc.client.call.duration")) == 1


async def test_a_call_that_never_left_the_client_is_unavailable(
    telemetry: Telemetry, invoke: Invoke
) -> None:
    target = RefusedPort.target()
    with GrpcClient(target, retry=NO_RETRY, stages=[_stage(telemetry)]) as refused:
        await invoke(refused, DownloadRequest(method="StatObject", timeout=2.0))

    span = telemetry.span(SpanKind.CLIENT)
    assert Telemetry.attributes(span)["error.type"] == "UNAVAILABLE"
    assert Telemetry.attributes(span)["server.port"] == int(target.rsplit(":", 1)[1])


async def test_each_stream_kind_is_one_span_from_open_to_end(
    client: GrpcClient, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    chunks = await stream_side.read_all(await stream_side.open(client, DownloadRequest(chunks=4)))
    uploaded = await stream_side.call(client, ChunksRequest(ChunksRequest.chunks(3)))
    bidi = ChunksRequest(ChunksRequest.chunks(2), method="ChecksumChunks")
    checksums = await stream_side.read_all(await stream_side.open(client, bidi))

    assert (len(chunks), uploaded.is_success(), len(checksums)) == (4, True, 2)
    names = [span.name for span in telemetry.spans(SpanKind.CLIENT)]
    assert names == [
        "storage.ObjectStorage/DownloadObject",
        "storage.ObjectStorage/UploadObject",
        "storage.ObjectStorage/ChecksumChunks",
    ]
    points = telemetry.points("rpc.client.call.duration")
    assert sorted(point.attributes["rpc.method"] for point in points) == sorted(names)


async def test_a_stream_that_fails_midway_ends_its_span_with_the_status(
    client: GrpcClient, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    failing = DownloadRequest(chunks=5, metadata=_failing("DATA_LOSS", after=2))
    arrived: list[Any] = []

    with pytest.raises(RemoteServiceError):
        await stream_side.read_into(await stream_side.open(client, failing), arrived)

    span = telemetry.span(SpanKind.CLIENT)
    assert Telemetry.attributes(span)["error.type"] == "DATA_LOSS"
    assert span.status.status_code is StatusCode.ERROR


async def test_a_stream_closed_early_is_cancelled(
    client: GrpcClient, telemetry: Telemetry, stream_side: StreamSide
) -> None:
    await stream_side.read_some(await stream_side.open(client, DownloadRequest(chunks=9)), 2)

    span = telemetry.span(SpanKind.CLIENT)
    assert Telemetry.attributes(span)["rpc.response.status_code"] == "CANCELLED"


async def test_a_cancelled_task_ends_its_span_as_cancelled(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry
) -> None:
    slow = DownloadRequest(method="StatObject", metadata={"delay-ms": "5000"}, timeout=10.0)
    task = asyncio.ensure_future(client.call_async(slow))
    assert await asyncio.to_thread(
        MetricSamples.eventually, lambda: storage.started("StatObject") > 0
    )

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    span = telemetry.span(SpanKind.CLIENT)
    attributes = Telemetry.attributes(span)
    assert attributes["rpc.response.status_code"] == "CANCELLED"
    assert attributes["error.type"] == "CANCELLED"
    assert span.status.status_code is StatusCode.ERROR
    (point,) = telemetry.points("rpc.client.call.duration")
    assert point.attributes["error.type"] == "CANCELLED"


async def test_no_metadata_value_reaches_an_attribute(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    secret = "s3cr3t-t0ken-value"
    keys = ["authorization", "x-api-key", "cookie", "x-auth-token", "password", "api-secret"]
    request = DownloadRequest(method="StatObject", metadata=dict.fromkeys(keys, secret))
    with GrpcClient(served.target, retry=NO_RETRY, stages=[_stage(telemetry)]) as client:
        await invoke(client, request)

    span = telemetry.span(SpanKind.CLIENT)
    exported = [*map(str, Telemetry.attributes(span).values()), span.name, str(span.status)]
    exported += [str(point.attributes) for point in telemetry.points("rpc.client.call.duration")]
    assert not [text for text in exported if secret in text]


async def test_with_no_sdk_configured_nothing_is_recorded_and_a_context_passes_through(
    client: GrpcClient, served: GrpcTestServer, storage: StorageService, invoke: Invoke
) -> None:
    remote = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    with GrpcClient(served.target, retry=NO_RETRY, stages=[OpenTelemetryClientStage()]) as bare:
        with RequestContext.scope() as outside:
            await invoke(bare, DownloadRequest(method="StatObject"))
        with trace.use_span(NonRecordingSpan(remote)):
            await invoke(bare, DownloadRequest(method="StatObject"))

    first, second = storage.records
    assert "traceparent" not in first.metadata
    assert first.metadata["x-trace-id"] == outside.trace_id
    assert (
        second.metadata["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    )
    assert second.metadata["x-trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("tracer_provider", "a provider"),
        ("meter_provider", object()),
        ("propagator", {"traceparent": "00-..."}),
    ],
)
def test_an_argument_of_the_wrong_kind_is_refused_when_the_stage_is_made(
    argument: str, value: object
) -> None:
    with pytest.raises(InvalidOpenTelemetrySetup, match=f"^{argument} must be an opentelemetry"):
        OpenTelemetryClientStage(**{argument: value})


async def test_call_logs_carry_the_active_span_and_each_retried_attempt(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    failing = DownloadRequest(method="StatObject", metadata=_failing("UNAVAILABLE"))
    with (
        GrpcClient(served.target, retry=THREE_TRIES, stages=[_stage(telemetry)]) as client,
        telemetry.tracer.start_as_current_span("handler") as parent,
        capture_logs() as logs,
    ):
        await invoke(client, failing)

    span_id = f"{parent.get_span_context().span_id:016x}"
    trace_id = f"{parent.get_span_context().trace_id:032x}"
    attempts = [log for log in logs if log["event"] == "grpc.attempt.failed"]
    assert [(log["attempt"], log["code"], log["backoff_seconds"]) for log in attempts] == [
        (1, "UNAVAILABLE", 0.01),
        (2, "UNAVAILABLE", 0.01),
    ]
    assert {log["log_level"] for log in attempts} == {"debug"}
    (failed,) = [log for log in logs if log["event"] == "grpc.call.failed"]
    assert failed["attempts"] == 3
    for log in [*attempts, failed]:
        assert (log["trace_id"], log["span_id"]) == (trace_id, span_id)


async def test_two_stages_on_one_meter_provider_record_into_one_histogram(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        GrpcClient(served.target, stages=[_stage(telemetry)]) as first,
        GrpcClient(served.target, stages=[_stage(telemetry)]) as second,
    ):
        await invoke(first, DownloadRequest(method="StatObject"))
        await invoke(second, DownloadRequest(method="StatObject"))

    (point,) = telemetry.points("rpc.client.call.duration")
    assert point.count == 2
    assert len(telemetry.spans(SpanKind.CLIENT)) == 2
    assert not [record for record in caplog.records if record.name.startswith("opentelemetry")]


async def test_outside_any_span_a_w3c_trace_id_of_the_request_is_the_traces(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    with RequestContext.scope("4bf92f3577b34da6a3ce929d0e0e4736"):
        await invoke(client, DownloadRequest(method="StatObject"))
        await invoke(client, DownloadRequest(method="StatObject"))

    spans = telemetry.spans(SpanKind.CLIENT)
    assert {f"{span.context.trace_id:032x}" for span in spans} == {
        "4bf92f3577b34da6a3ce929d0e0e4736"
    }
    assert all(span.parent is not None and span.parent.is_remote for span in spans)
    assert {record.metadata["x-trace-id"] for record in storage.records} == {
        "4bf92f3577b34da6a3ce929d0e0e4736"
    }


async def test_a_client_that_sends_no_trace_id_still_continues_the_context_s_trace(
    served: GrpcTestServer, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    stages = [_stage(telemetry)]
    with (
        GrpcClient(served.target, retry=NO_RETRY, stages=stages, sent_ids=()) as client,
        RequestContext.scope("4bf92f3577b34da6a3ce929d0e0e4736"),
    ):
        await invoke(client, DownloadRequest(method="StatObject"))

    span = telemetry.span(SpanKind.CLIENT)
    (record,) = storage.records
    assert f"{span.context.trace_id:032x}" == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "x-trace-id" not in record.metadata
    assert record.metadata["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_a_trace_id_that_is_not_w3c_is_still_sent_as_x_trace_id(
    client: GrpcClient, storage: StorageService, telemetry: Telemetry, invoke: Invoke
) -> None:
    with RequestContext.scope("job-42-of-the-nightly-sync"):
        await invoke(client, DownloadRequest(method="StatObject"))

    span = telemetry.span(SpanKind.CLIENT)
    (record,) = storage.records
    assert record.metadata["x-trace-id"] == "job-42-of-the-nightly-sync"
    assert span.parent is None
    assert record.metadata["traceparent"].split("-")[1] == f"{span.context.trace_id:032x}"


class _BrokenTwice(GrpcCallStage[None]):
    """A stage after the tracing whose ``metadata`` and ``abandoned`` both have a bug."""

    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def metadata(self, state: None, metadata: MetadataPairs) -> MetadataPairs:
        raise RuntimeError("a bug in metadata")

    def abandoned(self, state: None, invocation: GrpcInvocation, error: BaseException) -> None:
        raise LookupError("a bug in abandoned")


async def test_a_stage_whose_abandoned_raises_still_lets_the_span_end(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    stages = [_stage(telemetry), _BrokenTwice()]
    with (
        GrpcClient(served.target, stages=stages) as broken,
        pytest.raises(LookupError, match="a bug in abandoned") as raised,
    ):
        await invoke(broken, DownloadRequest(method="StatObject"))

    assert isinstance(raised.value.__cause__, RuntimeError)
    span = telemetry.span(SpanKind.CLIENT)
    assert Telemetry.attributes(span)["error.type"] == "UNKNOWN"
    assert len(telemetry.points("rpc.client.call.duration")) == 1


async def test_a_call_the_bulkhead_refused_unsent_has_zero_attempts(
    served: GrpcTestServer, telemetry: Telemetry, invoke: Invoke
) -> None:
    one_slot = BulkheadPolicy(max_in_flight=1, wait=False)
    async with (
        GrpcClient(served.target, bulkhead=one_slot, stages=[_stage(telemetry)]) as client,
        client.stream_async(DownloadRequest(chunks=2)) as holding,
    ):
        refused = await invoke(client, DownloadRequest(method="StatObject"))
        [chunk async for chunk in holding]

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    (unsent,) = [span for span in telemetry.spans(SpanKind.CLIENT) if span.name == STAT]
    assert Telemetry.attributes(unsent)["grpc.attempts"] == 0
    assert Telemetry.attributes(unsent)["error.type"] == "RESOURCE_EXHAUSTED"
