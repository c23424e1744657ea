"""PrometheusClientMetrics: go-grpc-middleware's client metrics, per call and per stream."""

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from grpc_request_client import (
    BulkheadPolicy,
    CircuitBreakerPolicy,
    GrpcCallStage,
    GrpcClient,
    GrpcInvocation,
    GrpcResponse,
    RemoteServiceError,
    RetryPolicy,
)
from grpc_request_client.prometheus import PrometheusClientMetrics
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.MetricSamples import MetricSamples
from tests.Support.RefusedPort import RefusedPort
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide

NO_RETRY = RetryPolicy(max_attempts=1)
GO_BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0")


@pytest.fixture
def storage() -> StorageService:
    return StorageService()


@pytest.fixture
def served(storage: StorageService) -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(storage) as server:
        yield server


@pytest.fixture
def client(served: GrpcTestServer, registry: CollectorRegistry) -> Iterator[GrpcClient]:
    with GrpcClient(
        served.target, retry=NO_RETRY, stages=[PrometheusClientMetrics(registry)]
    ) as metered:
        yield metered


@pytest.fixture
def samples(registry: CollectorRegistry) -> MetricSamples:
    return MetricSamples(registry, "client")


def _failing(code: str, after: int = 0) -> dict[str, str]:
    return {"fail-after": str(after), "fail-code": code}


async def test_a_unary_call_is_started_handled_and_timed_once(
    client: GrpcClient, samples: MetricSamples, invoke: Invoke
) -> None:
    response = await invoke(client, DownloadRequest(method="StatObject"))

    assert response.is_success()
    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"OK": 1.0}
    assert samples.value("msg_sent_total", "StatObject") == 1.0
    assert samples.value("msg_received_total", "StatObject") == 1.0
    assert samples.value("handling_seconds_count", "StatObject") == 1.0
    assert 0 < (samples.value("handling_seconds_sum", "StatObject") or 0) < 5


async def test_the_histogram_has_gos_default_buckets_and_no_grpc_code(
    client: GrpcClient, registry: CollectorRegistry, invoke: Invoke
) -> None:
    await invoke(client, DownloadRequest(method="StatObject"))

    buckets = [
        sample
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "grpc_client_handling_seconds_bucket"
    ]
    assert [sample.labels["le"] for sample in buckets] == [*GO_BUCKETS, "+Inf"]
    assert {key for sample in buckets for key in sample.labels} == {
        "grpc_type",
        "grpc_service",
        "grpc_method",
        "le",
    }
    assert buckets[-1].value == 1.0


@pytest.mark.parametrize(
    ("code", "go_name"),
    [
        ("NOT_FOUND", "NotFound"),
        ("CANCELLED", "Canceled"),
        ("INVALID_ARGUMENT", "InvalidArgument"),
        ("PERMISSION_DENIED", "PermissionDenied"),
        ("FAILED_PRECONDITION", "FailedPrecondition"),
        ("UNAVAILABLE", "Unavailable"),
        ("INTERNAL", "Internal"),
        ("UNAUTHENTICATED", "Unauthenticated"),
    ],
)
async def test_a_failed_call_is_handled_with_its_code_in_gos_spelling(
    client: GrpcClient, samples: MetricSamples, invoke: Invoke, code: str, go_name: str
) -> None:
    response = await invoke(client, DownloadRequest(method="StatObject", metadata=_failing(code)))

    assert response.status_code().name == code
    assert samples.handled("StatObject") == {go_name: 1.0}
    assert samples.value("handling_seconds_count", "StatObject") == 1.0


async def test_a_failed_unary_call_counts_one_message_each_way_as_go_does(
    client: GrpcClient, samples: MetricSamples, invoke: Invoke
) -> None:
    response = await invoke(
        client, DownloadRequest(method="StatObject", metadata=_failing("NOT_FOUND"))
    )

    # go-grpc-middleware's unary client interceptor counts the request before the call
    # and the reply after it, whatever the call returned.
    assert response.messages_received() == 0
    assert samples.value("msg_sent_total", "StatObject") == 1.0
    assert samples.value("msg_received_total", "StatObject") == 1.0


async def test_a_deadline_that_passes_is_deadline_exceeded(
    client: GrpcClient, samples: MetricSamples, invoke: Invoke
) -> None:
    slow = DownloadRequest(method="StatObject", metadata={"delay-ms": "2000"}, timeout=0.2)

    response = await invoke(client, slow)

    assert response.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert samples.handled("StatObject") == {"DeadlineExceeded": 1.0}


async def test_a_unary_call_that_never_reached_a_server_is_unavailable_and_counted_as_go_does(
    registry: CollectorRegistry, invoke: Invoke
) -> None:
    stage = PrometheusClientMetrics(registry)
    with GrpcClient(RefusedPort.target(), retry=NO_RETRY, stages=[stage]) as refused:
        response = await invoke(refused, DownloadRequest(method="StatObject", timeout=2.0))

    samples = MetricSamples(registry, "client")
    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.never_sent()
    assert samples.handled("StatObject") == {"Unavailable": 1.0}
    assert samples.value("msg_sent_total", "StatObject") == 1.0  # Go's interceptor knows no more
    assert samples.value("msg_received_total", "StatObject") == 1.0
    assert samples.value("retries_total", "StatObject") == 0.0


async def test_a_stream_that_never_reached_a_server_counts_no_message(
    registry: CollectorRegistry, stream_side: StreamSide
) -> None:
    stage = PrometheusClientMetrics(registry)
    with GrpcClient(RefusedPort.target(), retry=NO_RETRY, stages=[stage]) as refused:
        with pytest.raises(RemoteServiceError):
            await stream_side.read_all(
                await stream_side.open(refused, DownloadRequest(chunks=3, timeout=2.0))
            )
        uploaded = await stream_side.call(refused, ChunksRequest(ChunksRequest.chunks(2)))

    # grpc-go's NewStream fails without a connection, before any SendMsg or RecvMsg.
    samples = MetricSamples(registry, "client")
    assert uploaded.status_code() is grpc.StatusCode.UNAVAILABLE
    for method in ("DownloadObject", "UploadObject"):
        assert samples.handled(method) == {"Unavailable": 1.0}
        assert samples.value("msg_sent_total", method) == 0.0
        assert samples.value("msg_received_total", method) == 0.0


async def test_retries_are_counted_once_per_extra_attempt_and_the_call_once(
    served: GrpcTestServer,
    storage: StorageService,
    registry: CollectorRegistry,
    samples: MetricSamples,
    invoke: Invoke,
) -> None:
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.01, jitter=0.0)
    stage = PrometheusClientMetrics(registry)
    with GrpcClient(served.target, retry=retry, stages=[stage]) as retrying:
        response = await invoke(
            retrying, DownloadRequest(method="StatObject", metadata=_failing("UNAVAILABLE"))
        )

    assert response.attempts() == 3
    assert storage.started("StatObject") == 3
    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"Unavailable": 1.0}
    assert samples.value("retries_total", "StatObject") == 2.0


async def test_a_server_stream_counts_each_read_the_end_included_as_go_does(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    chunks = await stream_side.read_all(await stream_side.open(client, DownloadRequest(chunks=5)))

    assert len(chunks) == 5
    assert samples.value("started_total", "DownloadObject") == 1.0
    assert samples.handled("DownloadObject") == {"OK": 1.0}
    assert samples.value("msg_sent_total", "DownloadObject") == 1.0
    # Five RecvMsg gave a message and a sixth io.EOF: go-grpc-middleware counts each.
    assert samples.value("msg_received_total", "DownloadObject") == 6.0
    assert samples.value("handling_seconds_count", "DownloadObject") == 1.0


async def test_a_client_stream_counts_each_message_sent(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    response = await stream_side.call(client, ChunksRequest(ChunksRequest.chunks(4)))

    assert response.is_success()
    assert samples.handled("UploadObject") == {"OK": 1.0}
    assert samples.value("msg_sent_total", "UploadObject") == 4.0
    assert samples.value("msg_received_total", "UploadObject") == 1.0


async def test_a_failed_client_stream_counts_the_read_of_its_status_as_go_does(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    failing = ChunksRequest(ChunksRequest.chunks(3), metadata=_failing("INVALID_ARGUMENT"))

    response = await stream_side.call(client, failing)

    # CloseAndRecv's one RecvMsg returned the error: Go counts it received.
    assert response.status_code() is grpc.StatusCode.INVALID_ARGUMENT
    assert response.messages_received() == 0
    assert samples.handled("UploadObject") == {"InvalidArgument": 1.0}
    assert samples.value("msg_received_total", "UploadObject") == 1.0


async def test_a_bidi_stream_counts_both_ways(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    request = ChunksRequest(ChunksRequest.chunks(3), method="ChecksumChunks")

    replies = await stream_side.read_all(await stream_side.open(client, request))

    assert len(replies) == 3
    assert samples.handled("ChecksumChunks") == {"OK": 1.0}
    assert samples.value("msg_sent_total", "ChecksumChunks") == 3.0
    assert samples.value("msg_received_total", "ChecksumChunks") == 4.0  # and io.EOF


async def test_a_stream_that_fails_midway_is_handled_with_its_status_and_what_arrived(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    failing = DownloadRequest(chunks=5, metadata=_failing("DATA_LOSS", after=2))
    arrived: list[Any] = []

    with pytest.raises(RemoteServiceError):
        await stream_side.read_into(await stream_side.open(client, failing), arrived)

    assert len(arrived) == 2
    assert samples.handled("DownloadObject") == {"DataLoss": 1.0}
    assert samples.value("msg_received_total", "DownloadObject") == 3.0  # and the error's read


async def test_a_stream_closed_early_is_canceled_and_counts_the_reads_it_made(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    taken = await stream_side.read_some(
        await stream_side.open(client, DownloadRequest(chunks=9)), 2
    )

    assert len(taken) == 2
    assert samples.handled("DownloadObject") == {"Canceled": 1.0}
    assert samples.value("msg_received_total", "DownloadObject") == 2.0  # no read found the end


async def test_a_cancelled_task_is_handled_as_canceled(
    client: GrpcClient, samples: MetricSamples, storage: StorageService
) -> None:
    slow = DownloadRequest(method="StatObject", metadata={"delay-ms": "5000"}, timeout=10.0)
    task = asyncio.ensure_future(client.call_async(slow))
    assert await asyncio.to_thread(
        MetricSamples.eventually, lambda: storage.started("StatObject") > 0
    )

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"Canceled": 1.0}
    assert samples.value("handling_seconds_count", "StatObject") == 1.0
    # As Go counts a unary call whose context was cancelled: around the call.
    assert samples.value("msg_sent_total", "StatObject") == 1.0
    assert samples.value("msg_received_total", "StatObject") == 1.0


class _Broken(GrpcCallStage[None]):
    """A stage inside the metrics whose ``finished`` has a bug."""

    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def finished(
        self, state: None, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        raise RuntimeError("a bug in the stage")


async def test_a_call_a_stage_broke_is_handled_as_unknown(
    served: GrpcTestServer, registry: CollectorRegistry, samples: MetricSamples, invoke: Invoke
) -> None:
    stages = [PrometheusClientMetrics(registry), _Broken()]
    with (
        GrpcClient(served.target, stages=stages) as broken,
        pytest.raises(RuntimeError, match="a bug in the stage"),
    ):
        await invoke(broken, DownloadRequest(method="StatObject"))

    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"Unknown": 1.0}


async def test_a_call_the_bulkhead_refused_is_counted_as_rejected_by_it(
    served: GrpcTestServer, registry: CollectorRegistry, samples: MetricSamples, invoke: Invoke
) -> None:
    one_slot = BulkheadPolicy(max_in_flight=1, wait=False)
    stage = PrometheusClientMetrics(registry)
    async with (
        GrpcClient(served.target, bulkhead=one_slot, stages=[stage]) as client,
        client.stream_async(DownloadRequest(chunks=2)) as holding,
    ):
        refused = await invoke(client, DownloadRequest(method="StatObject"))
        [chunk async for chunk in holding]

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.attempts() == 0
    assert samples.handled("StatObject") == {"ResourceExhausted": 1.0}
    assert samples.value("bulkhead_rejected_total", "StatObject") == 1.0
    assert samples.value("circuit_breaker_rejected_total", "StatObject") == 0.0


async def test_a_call_an_open_circuit_refused_is_counted_as_rejected_by_it(
    served: GrpcTestServer, registry: CollectorRegistry, samples: MetricSamples, invoke: Invoke
) -> None:
    breaker = CircuitBreakerPolicy(minimum_calls=2, window_size=2, reset_timeout=60)
    failing = DownloadRequest(method="StatObject", metadata=_failing("UNAVAILABLE"))
    stage = PrometheusClientMetrics(registry)
    with GrpcClient(
        served.target, circuit_breaker=breaker, retry=NO_RETRY, stages=[stage]
    ) as client:
        for _ in range(2):
            await invoke(client, failing)
        refused = await invoke(client, DownloadRequest(method="StatObject"))

    assert refused.attempts() == 0
    assert samples.handled("StatObject") == {"Unavailable": 3.0}
    assert samples.value("circuit_breaker_rejected_total", "StatObject") == 1.0
    assert samples.value("bulkhead_rejected_total", "StatObject") == 0.0
    assert samples.value("retries_total", "StatObject") == 0.0


async def test_no_metadata_value_ever_reaches_a_label(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    secret = "s3cr3t-t0ken-value"
    request = DownloadRequest(method="StatObject", metadata={"x-api-key": secret})
    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]) as client:
        await invoke(client, request)

    exposition = generate_latest(registry).decode()
    assert secret not in exposition
    label_keys = {
        key for family in registry.collect() for sample in family.samples for key in sample.labels
    }
    assert label_keys == {"grpc_type", "grpc_service", "grpc_method", "grpc_code", "le"}
