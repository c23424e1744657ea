"""The client's own gauges: its circuit breaker's state and its bulkhead's calls in flight."""

import gc
from collections.abc import Iterator

import grpc
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from grpc_request_client import CircuitBreakerPolicy, GrpcClient, RetryPolicy
from grpc_request_client.prometheus import PrometheusClientMetrics
from grpc_request_client.testing import FakeGrpcClient, GrpcTestServer
from protos import storage_pb2
from tests.conftest import Invoke
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.FakeClock import FakeClock
from tests.Support.RefusedPort import RefusedPort
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import StreamSide

STATE = "grpc_client_circuit_breaker_state"
IN_FLIGHT = "grpc_client_bulkhead_in_flight"
NO_RETRY = RetryPolicy(max_attempts=1)
STAT = DownloadRequest(method="StatObject")
FAILING = DownloadRequest(method="StatObject", metadata={"fail-after": "0"})  # UNAVAILABLE
# Opens after two failures; after 5 s (on a FakeClock) one trial call decides.
TRIPPING = CircuitBreakerPolicy(minimum_calls=2, window_size=2, reset_timeout=5, half_open_calls=1)
CLOSED = {"closed": 1.0, "open": 0.0, "half_open": 0.0}
OPEN = {"closed": 0.0, "open": 1.0, "half_open": 0.0}
HALF_OPEN = {"closed": 0.0, "open": 0.0, "half_open": 1.0}


@pytest.fixture
def served() -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(StorageService()) as server:
        yield server


def _states(registry: CollectorRegistry, target: str) -> dict[str, float]:
    """The target's breaker series, by state; empty when it has none."""
    return {
        sample.labels["state"]: sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == STATE and sample.labels["grpc_target"] == target
    }


def _in_flight(registry: CollectorRegistry, target: str) -> float | None:
    return registry.get_sample_value(IN_FLIGHT, {"grpc_target": target})


def _targets(registry: CollectorRegistry) -> set[str]:
    """Every target either gauge has a series for."""
    return {
        sample.labels["grpc_target"]
        for family in registry.collect()
        for sample in family.samples
        if sample.name in (STATE, IN_FLIGHT)
    }


def test_a_new_client_is_closed_with_nothing_in_flight(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]):
        assert _states(registry, served.target) == CLOSED
        in_flight = _in_flight(registry, served.target)

    assert in_flight == 0.0
    assert type(in_flight) is float  # as every other sample is


def test_the_exposition_has_gauges_with_help_in_go_grpc_middleware_style(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]):
        exposition = generate_latest(registry).decode()

    assert f"# TYPE {STATE} gauge\n" in exposition
    assert f"# TYPE {IN_FLIGHT} gauge\n" in exposition
    assert (
        f"# HELP {STATE} Number of gRPC clients of the target whose circuit breaker is in the "
        "state (closed, open or half_open).\n"
    ) in exposition
    assert (
        f"# HELP {IN_FLIGHT} Number of RPCs in flight on the clients of the target, holding a "
        "bulkhead slot.\n"
    ) in exposition
    assert f'{STATE}{{grpc_target="{served.target}",state="open"}} 0.0\n' in exposition


@pytest.mark.parametrize(
    ("trial", "then"),
    [
        pytest.param(STAT, CLOSED, id="trial-succeeds"),
        pytest.param(FAILING, OPEN, id="trial-fails"),
    ],
)
async def test_the_breaker_opens_after_failures_then_half_opens_and_its_trial_decides(
    served: GrpcTestServer,
    registry: CollectorRegistry,
    invoke: Invoke,
    trial: DownloadRequest,
    then: dict[str, float],
) -> None:
    clock = FakeClock()  # the cool-down passes when the test says so; the breaker is this clock's
    with GrpcClient(
        served.target,
        clock=clock,
        circuit_breaker=TRIPPING,
        retry=NO_RETRY,
        stages=[PrometheusClientMetrics(registry)],
    ) as client:
        for _ in range(2):
            await invoke(client, FAILING)
        opened = _states(registry, served.target)
        clock.advance(TRIPPING.reset_timeout)
        cooled = _states(registry, served.target)
        answered = await invoke(client, trial)
        after = _states(registry, served.target)

    assert opened == OPEN
    assert cooled == HALF_OPEN
    assert answered.attempts() == 1  # the trial call went out
    assert after == then


async def test_a_stream_holds_a_bulkhead_slot_while_it_is_open(
    served: GrpcTestServer, registry: CollectorRegistry, stream_side: StreamSide
) -> None:
    with GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]) as client:
        stream = await stream_side.open(client, DownloadRequest(chunks=3))
        before = _in_flight(registry, served.target)
        await stream_side.enter(stream)
        first = await stream_side.read(stream)
        holding = _in_flight(registry, served.target)
        rest = await stream_side.read_all(stream)
        await stream_side.close(stream)
        after = _in_flight(registry, served.target)

    assert isinstance(first, storage_pb2.ObjectChunk)
    assert len(rest) == 2
    assert (before, holding, after) == (0.0, 1.0, 0.0)


async def test_two_clients_of_a_target_are_summed_and_other_targets_kept_apart(
    served: GrpcTestServer, registry: CollectorRegistry, stream_side: StreamSide
) -> None:
    metrics = PrometheusClientMetrics(registry)
    down = RefusedPort.target()
    with (
        GrpcClient(served.target, stages=[metrics]) as one,
        GrpcClient(served.target, stages=[PrometheusClientMetrics(registry)]) as other,
        GrpcClient(down, stages=[metrics], circuit_breaker=CircuitBreakerPolicy.disabled()),
    ):
        streams = [
            await stream_side.open(client, DownloadRequest(chunks=2)) for client in (one, other)
        ]
        for stream in streams:
            await stream_side.enter(stream)
            await stream_side.read(stream)
        both = _in_flight(registry, served.target)
        for stream in streams:
            await stream_side.close(stream)

        # equal settings share one breaker; each client is counted in its state
        assert _states(registry, served.target) == {"closed": 2.0, "open": 0.0, "half_open": 0.0}
        assert both == 2.0
        assert _in_flight(registry, served.target) == 0.0
        assert _states(registry, down) == {}  # its breaker is disabled: no series
        assert _in_flight(registry, down) == 0.0


def test_a_closed_client_leaves_the_scrape(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    metrics = PrometheusClientMetrics(registry)
    staying = GrpcClient(RefusedPort.target(), stages=[metrics])
    with GrpcClient(served.target, stages=[metrics]):
        assert _targets(registry) == {served.target, staying.settings.target}

    assert _targets(registry) == {staying.settings.target}
    staying.close()
    assert _targets(registry) == set()


def test_a_client_garbage_collected_unclosed_leaves_the_scrape(registry: CollectorRegistry) -> None:
    fake = FakeGrpcClient("dropped:50051", stages=[PrometheusClientMetrics(registry)])
    assert _targets(registry) == {"dropped:50051"}

    del fake
    gc.collect()

    assert _targets(registry) == set()


async def test_a_fake_client_reports_its_own_breaker_and_bulkhead(
    registry: CollectorRegistry, invoke: Invoke
) -> None:
    fake = FakeGrpcClient(
        circuit_breaker=TRIPPING, retry=NO_RETRY, stages=[PrometheusClientMetrics(registry)]
    )
    for _ in range(2):
        fake.fail("storage.ObjectStorage", "StatObject", grpc.StatusCode.UNAVAILABLE)

    for _ in range(2):
        await invoke(fake, STAT)
    refused = await invoke(fake, STAT)

    assert refused.attempts() == 0
    target = fake.settings.target
    assert _states(registry, target) == OPEN
    assert _in_flight(registry, target) == 0.0


def test_a_client_with_the_metrics_twice_is_counted_once(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    stages = [PrometheusClientMetrics(registry), PrometheusClientMetrics(registry)]
    with GrpcClient(served.target, stages=stages):
        assert _states(registry, served.target)["closed"] == 1.0


def test_a_namespace_prefixes_the_gauges_and_another_namespace_has_its_own_clients(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    with (
        GrpcClient(served.target, stages=[PrometheusClientMetrics(registry, namespace="shop")]),
        GrpcClient(RefusedPort.target(), stages=[PrometheusClientMetrics(registry)]),
    ):
        shop = registry.get_sample_value(f"shop_{IN_FLIGHT}", {"grpc_target": served.target})
        unprefixed = _targets(registry)

    assert shop == 0.0
    assert unprefixed == {RefusedPort.target()}


def test_a_method_scoped_breaker_reads_as_its_worst_circuit(
    served: GrpcTestServer, registry: CollectorRegistry
) -> None:
    per_method = CircuitBreakerPolicy(minimum_calls=1, window_size=1, scope="method")
    with GrpcClient(
        served.target,
        circuit_breaker=per_method,
        retry=NO_RETRY,
        stages=[PrometheusClientMetrics(registry)],
    ) as client:
        with client.stream(DownloadRequest(chunks=1)) as chunks:  # its circuit stays closed
            list(chunks)
        healthy = _states(registry, served.target)
        client.call(FAILING)  # StatObject's circuit opens

        assert healthy == CLOSED
        assert _states(registry, served.target) == OPEN
