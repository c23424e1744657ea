"""initialize_metrics: a service's series exist at 0 before its first call, as in Go."""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from prometheus_client import CollectorRegistry

from grpc_request_client import GrpcClient, InvalidPrometheusMetrics, RetryPolicy
from grpc_request_client.prometheus import (
    AsyncPrometheusServerInterceptor,
    PrometheusClientMetrics,
    PrometheusServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from protos import storage_pb2
from tests.conftest import Invoke
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.MetricSamples import STORAGE_KINDS, MetricSamples
from tests.Support.StorageService import StorageService

SERVICE = "storage.ObjectStorage"
# grpc-go's codes.Code.String() of all 17 codes: the handled series Go initialises.
GO_CODES = {
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
    "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
    "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
}  # fmt: skip
INTERCEPTORS = {"sync": PrometheusServerInterceptor, "aio": AsyncPrometheusServerInterceptor}
FAILING = DownloadRequest(
    method="StatObject", metadata={"fail-after": "0", "fail-code": "UNAVAILABLE"}
)


@pytest.fixture
def served() -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(StorageService()) as server:
        yield server


def _every_series_at_zero(samples: MetricSamples, own: tuple[str, ...] = ()) -> None:
    for method in STORAGE_KINDS:
        assert samples.handled(method) == dict.fromkeys(GO_CODES, 0.0)
        for metric in ("started_total", "msg_sent_total", "msg_received_total", *own):
            assert samples.value(metric, method) == 0.0, (metric, method)
        assert samples.value("handling_seconds_count", method) == 0.0
        assert samples.value("handling_seconds_bucket", method, le="+Inf") == 0.0


@pytest.mark.parametrize(
    "service", [SERVICE, storage_pb2.DESCRIPTOR.services_by_name["ObjectStorage"]]
)
def test_the_client_makes_every_series_of_every_method_at_zero(
    registry: CollectorRegistry, service: Any
) -> None:
    PrometheusClientMetrics(registry).initialize_metrics(service)

    _every_series_at_zero(
        MetricSamples(registry, "client"),
        ("retries_total", "bulkhead_rejected_total", "circuit_breaker_rejected_total"),
    )


async def test_a_first_failure_counts_on_its_series_made_beforehand(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    stage = PrometheusClientMetrics(registry)
    stage.initialize_metrics(SERVICE)
    samples = MetricSamples(registry, "client")
    assert samples.handled("StatObject")["Unavailable"] == 0.0

    with GrpcClient(served.target, retry=RetryPolicy(max_attempts=1), stages=[stage]) as client:
        response = await invoke(client, FAILING)

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert samples.handled("StatObject") == {**dict.fromkeys(GO_CODES, 0.0), "Unavailable": 1.0}
    assert samples.value("started_total", "StatObject") == 1.0


def test_a_server_makes_every_series_of_every_method_at_zero(
    registry: CollectorRegistry, server_kind: str
) -> None:
    INTERCEPTORS[server_kind](registry).initialize_metrics(SERVICE)

    _every_series_at_zero(MetricSamples(registry, "server"))


async def test_a_server_counts_its_first_calls_on_the_series_made_beforehand(
    registry: CollectorRegistry, server_kind: str, storage: BaseStorageService, invoke: Invoke
) -> None:
    interceptor = INTERCEPTORS[server_kind](registry)
    interceptor.initialize_metrics(SERVICE)
    with (
        GrpcTestServer.start(storage, interceptors=[interceptor]) as server,
        GrpcClient(server.target, retry=RetryPolicy(max_attempts=1)) as client,
    ):
        await invoke(client, FAILING)

    samples = MetricSamples(registry, "server")
    expected = {**dict.fromkeys(GO_CODES, 0.0), "Unavailable": 1.0}
    assert samples.eventually(lambda: samples.handled("StatObject") == expected)
    assert samples.value("started_total", "DownloadObject") == 0.0


@pytest.mark.parametrize(
    ("service", "match"),
    [
        ("storage.Missing", "'storage.Missing' is not in the protobuf descriptor pool"),
        (storage_pb2.ObjectChunk, "got <class 'protos.storage_pb2.ObjectChunk'>"),
        (None, "ServiceDescriptor, got None"),
    ],
)
@pytest.mark.parametrize("kind", [PrometheusClientMetrics, *INTERCEPTORS.values()])
def test_a_service_that_cannot_be_found_is_refused_by_name_and_nothing_is_made(
    registry: CollectorRegistry, kind: Any, service: Any, match: str
) -> None:
    metrics = kind(registry)

    with pytest.raises(InvalidPrometheusMetrics, match=match):
        metrics.initialize_metrics(SERVICE, service)

    assert [sample for family in registry.collect() for sample in family.samples] == []
