"""Metrics made twice are shared, never registered twice; arguments are checked first."""

import importlib
import math
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from grpc_request_client import (
    GrpcClient,
    GrpcObservabilityError,
    InvalidPrometheusMetrics,
    PrometheusMetricsConflict,
)
from grpc_request_client.prometheus import (
    GO_DEFAULT_BUCKETS,
    AsyncPrometheusServerInterceptor,
    PrometheusClientMetrics,
    PrometheusServerInterceptor,
    RegisteredMetricSets,
)
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.MetricSamples import MetricSamples
from tests.Support.StorageService import StorageService

STAT = DownloadRequest(method="StatObject")


@pytest.fixture
def served() -> Any:
    with GrpcTestServer.start(StorageService()) as server:
        yield server


async def test_two_clients_with_two_stages_share_one_set_of_metrics(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    first, second = PrometheusClientMetrics(registry), PrometheusClientMetrics(registry)
    with (
        GrpcClient(served.target, stages=[first]) as one,
        GrpcClient(served.target, stages=[second]) as other,
    ):
        await invoke(one, STAT)
        await invoke(other, STAT)

    assert MetricSamples(registry, "client").value("started_total", "StatObject") == 2.0


async def test_one_stage_serves_two_clients(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    stage = PrometheusClientMetrics(registry)
    for _ in range(2):
        with GrpcClient(served.target, stages=[stage]) as client:
            await invoke(client, STAT)

    assert MetricSamples(registry, "client").handled("StatObject") == {"OK": 2.0}


def test_client_and_server_metrics_share_a_registry_and_each_is_made_once(
    registry: CollectorRegistry,
) -> None:
    for _ in range(2):
        PrometheusClientMetrics(registry)
        PrometheusServerInterceptor(registry)
        AsyncPrometheusServerInterceptor(registry)

    names = {family.name for family in registry.collect()}
    assert {"grpc_client_started", "grpc_server_started"} <= names


def test_the_default_registry_is_used_unless_one_is_given() -> None:
    PrometheusClientMetrics()
    PrometheusClientMetrics()

    assert REGISTRY.get_sample_value("grpc_client_started_total") is None  # labelled only
    assert any(family.name == "grpc_client_started" for family in REGISTRY.collect())


def test_a_reloaded_module_makes_its_metrics_again_without_a_crash(
    registry: CollectorRegistry,
) -> None:
    module = importlib.import_module(PrometheusClientMetrics.__module__)
    PrometheusClientMetrics(registry)

    reloaded = importlib.reload(module)
    reloaded.PrometheusClientMetrics(registry)
    reloaded.PrometheusClientMetrics()

    assert reloaded.PrometheusClientMetrics is not PrometheusClientMetrics


def test_a_reload_of_the_sets_module_itself_finds_the_sets_the_registry_holds(
    registry: CollectorRegistry,
) -> None:
    clients = RegisteredMetricSets.client(registry, "", GO_DEFAULT_BUCKETS)
    servers = RegisteredMetricSets.server(registry, "", GO_DEFAULT_BUCKETS)

    reloaded = importlib.reload(importlib.import_module(RegisteredMetricSets.__module__))

    assert reloaded.RegisteredMetricSets is not RegisteredMetricSets
    assert reloaded.RegisteredMetricSets.client(registry, "", GO_DEFAULT_BUCKETS) is clients
    assert reloaded.RegisteredMetricSets.server(registry, "", GO_DEFAULT_BUCKETS) is servers


async def test_a_namespace_prefixes_every_name_and_buckets_replace_gos(
    served: GrpcTestServer, registry: CollectorRegistry, invoke: Invoke
) -> None:
    stage = PrometheusClientMetrics(registry, namespace="shop", buckets=(0.1, 1, math.inf))
    with GrpcClient(served.target, stages=[stage]) as client:
        await invoke(client, STAT)

    samples = MetricSamples(registry, "client", namespace="shop")
    assert samples.value("started_total", "StatObject") == 1.0
    assert samples.handled("StatObject") == {"OK": 1.0}
    buckets = [
        sample.labels["le"]
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "shop_grpc_client_handling_seconds_bucket"
    ]
    assert buckets == ["0.1", "1.0", "+Inf"]
    assert MetricSamples(registry, "client").value("started_total", "StatObject") is None


def test_two_namespaces_in_one_registry_are_two_sets(registry: CollectorRegistry) -> None:
    PrometheusClientMetrics(registry, namespace="a")
    PrometheusClientMetrics(registry, namespace="b", buckets=(1.0,))

    names = {family.name for family in registry.collect()}
    assert {"a_grpc_client_started", "b_grpc_client_started"} <= names


def test_other_buckets_for_metrics_already_made_are_a_conflict(
    registry: CollectorRegistry,
) -> None:
    PrometheusClientMetrics(registry)

    with pytest.raises(PrometheusMetricsConflict, match=r"buckets .* not \(0\.5, 1\.0\)"):
        PrometheusClientMetrics(registry, buckets=(0.5, 1.0))


def test_the_same_names_registered_by_something_else_are_a_conflict(
    registry: CollectorRegistry,
) -> None:
    Counter("grpc_server_started_total", "py-grpc-prometheus's", ["grpc_type"], registry=registry)

    with pytest.raises(PrometheusMetricsConflict, match="grpc_server_started_total"):
        PrometheusServerInterceptor(registry)
    PrometheusServerInterceptor(registry, namespace="ours")  # another namespace is free


def test_a_refused_set_registers_none_of_its_metrics(registry: CollectorRegistry) -> None:
    Counter("grpc_client_retries_total", "someone else's", registry=registry)

    with pytest.raises(PrometheusMetricsConflict):
        PrometheusClientMetrics(registry)

    names = {family.name for family in registry.collect()}
    assert names == {"grpc_client_retries"}


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"registry": "REGISTRY"}, "registry must be a prometheus_client.CollectorRegistry"),
        ({"namespace": "my-app"}, "namespace must be"),
        ({"namespace": "1app"}, "namespace must be"),
        ({"namespace": None}, "namespace must be"),
        ({"buckets": ()}, "buckets must be"),
        ({"buckets": (1.0, 0.5)}, "buckets must be"),
        ({"buckets": (0.5, 0.5)}, "buckets must be"),
        ({"buckets": (0.1, math.nan)}, "buckets must be"),
        ({"buckets": (math.inf,)}, "buckets must be"),
        ({"buckets": (True, 2)}, "buckets must be"),
        ({"buckets": "0.1"}, "buckets must be"),
        ({"buckets": 1.0}, "buckets must be"),
    ],
    ids=str,
)
@pytest.mark.parametrize(
    "kind", [PrometheusClientMetrics, PrometheusServerInterceptor, AsyncPrometheusServerInterceptor]
)
def test_arguments_that_cannot_make_metrics_are_refused_by_name(
    registry: CollectorRegistry, kind: Any, arguments: dict[str, Any], match: str
) -> None:
    given = {"registry": registry, **arguments}

    with pytest.raises(InvalidPrometheusMetrics, match=match) as raised:
        kind(given.pop("registry"), **given)

    assert isinstance(raised.value, GrpcObservabilityError)
    assert isinstance(raised.value, ValueError)
    assert list(registry.collect()) == []
