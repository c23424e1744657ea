"""A registry's reset lets the metrics go; asked for again, they export again, from 0."""

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest

from grpc_request_client import GrpcClient, PrometheusMetricsConflict
from grpc_request_client.prometheus import (
    AsyncPrometheusServerInterceptor,
    PrometheusClientMetrics,
    PrometheusServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.BaseStorageService import BaseStorageService
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.MetricSamples import MetricSamples
from tests.Support.StorageService import StorageService

STAT = DownloadRequest(method="StatObject")
INTERCEPTORS = {"sync": PrometheusServerInterceptor, "aio": AsyncPrometheusServerInterceptor}


def _reset(registry: CollectorRegistry) -> None:
    """What a test suite does between tests to prometheus' default registry: unregister all."""
    for collector in list(registry._collector_to_names):
        registry.unregister(collector)


@pytest.fixture
def served() -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(StorageService()) as server:
        yield server


async def test_a_stage_made_after_a_reset_exports_its_calls_from_zero(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]) as before:
        await invoke(before, STAT)
    _reset(registry)

    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]) as after:
        await invoke(after, STAT)

    samples = MetricSamples(registry, "client")
    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"OK": 1.0}
    assert "grpc_client_started_total" in generate_latest(registry).decode()


async def test_a_client_built_before_the_reset_is_exported_again_with_the_new_stage(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]) as kept:
        await invoke(kept, STAT)
        _reset(registry)
        PrometheusClientMetrics(registry)

        await invoke(kept, STAT)

    assert MetricSamples(registry, "client").handled("StatObject") == {"OK": 1.0}


async def test_a_server_interceptor_made_after_a_reset_exports_its_calls_from_zero(
    registry: CollectorRegistry, server_kind: str, storage: BaseStorageService, invoke: Invoke
) -> None:
    INTERCEPTORS[server_kind](registry)
    _reset(registry)

    interceptors = [INTERCEPTORS[server_kind](registry)]
    with (
        GrpcTestServer.start(storage, interceptors=interceptors) as server,
        GrpcClient(server.target) as client,
    ):
        await invoke(client, STAT)

    samples = MetricSamples(registry, "server")
    assert samples.eventually(lambda: samples.handled("StatObject") == {"OK": 1.0})
    assert samples.value("started_total", "StatObject") == 1.0


def test_names_taken_by_something_else_after_the_reset_are_a_conflict(
    registry: CollectorRegistry,
) -> None:
    PrometheusServerInterceptor(registry)
    _reset(registry)
    Counter("grpc_server_started_total", "someone else's", ["grpc_type"], registry=registry)

    with pytest.raises(PrometheusMetricsConflict, match="grpc_server_started_total"):
        PrometheusServerInterceptor(registry)


def test_other_buckets_after_a_reset_are_refused_before_anything_is_registered(
    registry: CollectorRegistry,
) -> None:
    PrometheusClientMetrics(registry)
    _reset(registry)

    with pytest.raises(PrometheusMetricsConflict, match="buckets"):
        PrometheusClientMetrics(registry, buckets=(0.5, 1.0))

    assert list(registry.collect()) == []
