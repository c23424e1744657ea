"""The server interceptors: go-grpc-middleware's grpc_server_* metrics, sync grpc and grpc.aio."""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from prometheus_client import CollectorRegistry

from grpc_request_client import (
    AsyncRequestContextServerInterceptor,
    GrpcClient,
    RemoteServiceError,
    RequestContextServerInterceptor,
    RetryPolicy,
)
from grpc_request_client.prometheus import (
    AsyncPrometheusServerInterceptor,
    PrometheusServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from tests.Support.AsyncStorageService import AsyncStorageService
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.MetricSamples import MetricSamples
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide

NO_RETRY = RetryPolicy(max_attempts=1)
INTERCEPTORS = {"sync": PrometheusServerInterceptor, "aio": AsyncPrometheusServerInterceptor}
CONTEXT_INTERCEPTORS = {
    "sync": RequestContextServerInterceptor,
    "aio": AsyncRequestContextServerInterceptor,
}


@pytest.fixture
def served(
    storage: BaseStorageService, server_kind: str, registry: CollectorRegistry
) -> Iterator[GrpcTestServer]:
    interceptors = [INTERCEPTORS[server_kind](registry), CONTEXT_INTERCEPTORS[server_kind]()]
    with GrpcTestServer.start(storage, interceptors=interceptors) as server:
        yield server


@pytest.fixture
def client(served: GrpcTestServer) -> Iterator[GrpcClient]:
    with GrpcClient(served.target, retry=NO_RETRY) as plain:
        yield plain


@pytest.fixture
def samples(registry: CollectorRegistry) -> MetricSamples:
    return MetricSamples(registry, "server")


async def test_a_unary_call_is_started_handled_and_timed_once(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    await stream_side.call(client, DownloadRequest(method="StatObject"))

    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"OK": 1.0}
    assert samples.value("msg_received_total", "StatObject") == 1.0
    assert samples.value("msg_sent_total", "StatObject") == 1.0
    assert samples.value("handling_seconds_count", "StatObject") == 1.0
    assert samples.value("handling_seconds_bucket", "StatObject", le="10.0") == 1.0


async def test_a_server_stream_counts_each_message_sent(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    await stream_side.read_all(await stream_side.open(client, DownloadRequest(chunks=4)))

    assert samples.handled("DownloadObject") == {"OK": 1.0}
    assert samples.value("msg_received_total", "DownloadObject") == 1.0
    assert samples.value("msg_sent_total", "DownloadObject") == 4.0


async def test_a_client_stream_counts_each_read_the_end_included_as_go_does(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    await stream_side.call(client, ChunksRequest(ChunksRequest.chunks(3)))

    assert samples.handled("UploadObject") == {"OK": 1.0}
    # The handler's loop read three messages, then the end: Go counts the Recv of io.EOF.
    assert samples.value("msg_received_total", "UploadObject") == 4.0
    assert samples.value("msg_sent_total", "UploadObject") == 1.0


async def test_a_bidi_stream_counts_both_ways(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    request = ChunksRequest(ChunksRequest.chunks(5), method="ChecksumChunks")

    await stream_side.read_all(await stream_side.open(client, request))

    assert samples.handled("ChecksumChunks") == {"OK": 1.0}
    assert samples.value("msg_received_total", "ChecksumChunks") == 6.0  # and the end
    assert samples.value("msg_sent_total", "ChecksumChunks") == 5.0


@pytest.mark.parametrize(
    ("code", "go_name"),
    [
        ("NOT_FOUND", "NotFound"),
        ("UNAVAILABLE", "Unavailable"),
        ("RESOURCE_EXHAUSTED", "ResourceExhausted"),
        ("OUT_OF_RANGE", "OutOfRange"),
        ("ABORTED", "Aborted"),
    ],
)
async def test_an_abort_is_handled_with_its_code_and_counts_its_reply_as_go_does(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide, code: str, go_name: str
) -> None:
    failing = DownloadRequest(method="StatObject", metadata={"fail-after": "0", "fail-code": code})

    response = await stream_side.call(client, failing)

    assert response.status_code().name == code
    # grpc.aio sends an abort's status before the handler's AbortError gets out of it.
    assert samples.eventually(lambda: samples.handled("StatObject") == {go_name: 1.0})
    # go-grpc-middleware's unary server interceptor counts the reply once the handler
    # returned, its error as well.
    assert samples.value("msg_sent_total", "StatObject") == 1.0
    assert samples.value("msg_received_total", "StatObject") == 1.0


async def test_a_stream_aborted_midway_counts_what_it_sent(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    failing = DownloadRequest(chunks=5, metadata={"fail-after": "2", "fail-code": "DATA_LOSS"})

    with pytest.raises(RemoteServiceError):
        await stream_side.read_all(await stream_side.open(client, failing))

    assert samples.eventually(lambda: samples.handled("DownloadObject") == {"DataLoss": 1.0})
    assert samples.value("msg_sent_total", "DownloadObject") == 2.0


async def test_each_attempt_of_a_retried_call_is_a_call_to_the_server(
    served: GrpcTestServer, samples: MetricSamples, stream_side: StreamSide
) -> None:
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.01, jitter=0.0)
    failing = DownloadRequest(method="StatObject", metadata={"fail-after": "0"})
    with GrpcClient(served.target, retry=retry) as retrying:
        await stream_side.call(retrying, failing)

    assert samples.value("started_total", "StatObject") == 3.0
    assert samples.eventually(lambda: samples.handled("StatObject") == {"Unavailable": 3.0})


async def test_a_stream_the_client_leaves_early_is_canceled(
    client: GrpcClient,
    storage: BaseStorageService,
    samples: MetricSamples,
    stream_side: StreamSide,
) -> None:
    slow = DownloadRequest(chunks=50, metadata={"delay-ms": "20"})

    await stream_side.read_some(await stream_side.open(client, slow), 1)

    storage.wait_for_cancelled(timeout=5.0)
    assert samples.eventually(lambda: samples.handled("DownloadObject") == {"Canceled": 1.0})
    assert samples.value("started_total", "DownloadObject") == 1.0


async def test_a_deadline_that_passes_mid_stream_is_deadline_exceeded(
    client: GrpcClient, samples: MetricSamples, stream_side: StreamSide
) -> None:
    slow = DownloadRequest(chunks=50, metadata={"delay-ms": "50"}, timeout=0.3)

    with pytest.raises(RemoteServiceError):
        await stream_side.read_all(await stream_side.open(client, slow))

    assert samples.eventually(
        lambda: samples.handled("DownloadObject") == {"DeadlineExceeded": 1.0}
    )


def test_a_method_the_server_does_not_know_is_not_counted(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    with (
        grpc.insecure_channel(served.target) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        channel.unary_unary("/storage.ObjectStorage/Missing")(b"", timeout=5)

    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
    samples = [sample for family in registry.collect() for sample in family.samples]
    assert [sample for sample in samples if sample.name.startswith("grpc_server")] == []


def test_metrics_made_by_two_interceptors_are_one_set(
    registry: CollectorRegistry, server_kind: str
) -> None:
    interceptor = INTERCEPTORS[server_kind]
    storage = StorageService() if server_kind == "sync" else AsyncStorageService()
    with (
        GrpcTestServer.start(
            storage, interceptors=[interceptor(registry), interceptor(registry)]
        ) as server,
        GrpcClient(server.target) as client,
    ):
        client.call(DownloadRequest(method="StatObject"))

    # Both watch the call, and both count it in the one set.
    assert MetricSamples(registry, "server").value("started_total", "StatObject") == 2.0


def test_a_custom_namespace_and_buckets(registry: CollectorRegistry, server_kind: str) -> None:
    interceptor: Any = INTERCEPTORS[server_kind](registry, namespace="edge", buckets=(0.25,))
    storage = StorageService() if server_kind == "sync" else AsyncStorageService()
    with (
        GrpcTestServer.start(storage, interceptors=[interceptor]) as server,
        GrpcClient(server.target) as client,
    ):
        client.call(DownloadRequest(method="StatObject"))

    samples = MetricSamples(registry, "server", namespace="edge")
    assert samples.handled("StatObject") == {"OK": 1.0}
    assert samples.value("handling_seconds_bucket", "StatObject", le="0.25") == 1.0
    assert samples.value("handling_seconds_bucket", "StatObject", le="0.005") is None
