"""A server that goes away and comes back on the same port, with the same client throughout."""

from time import perf_counter

import grpc
import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthStatus import HealthStatus
from tests.Support.FakeClock import FakeClock
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.SyncOrAsync import SyncOrAsync

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> SyncOrAsync:
    return SyncOrAsync(request.param)


async def test_the_same_client_reconnects_by_itself_when_its_server_restarts_on_the_same_port(
    side: SyncOrAsync,
) -> None:
    """The transport alone: with the circuit breaker off, calls go through once it is back."""
    with RunningServer.start() as first:
        port = first.port
        # A hang while the server is down would surface as DEADLINE_EXCEEDED after 10 s.
        client = GrpcClient(
            first.target, default_timeout=10.0, circuit_breaker=CircuitBreakerPolicy.disabled()
        )
        before = await side.call(client, ScriptedRequest("1"))
    try:
        while_down = [await side.call(client, ScriptedRequest("1")) for _ in range(3)]
        health_while_down = await side.check_health(client)
        ready_while_down = await side.wait_until_ready(client, 0.2)
        with RunningServer.start(port=port) as second:
            restarted = perf_counter()
            ready = await side.wait_until_ready(client, 60.0)
            recovery = perf_counter() - restarted
            after = await side.call(client, ScriptedRequest("2"))
            health_after = await side.check_health(client)
    finally:
        client.close()
    # Measured, not asserted (no wall-clock limits in tests): see it with pytest -rP.
    print(f"{side}: ready {recovery:.3f} s after the server restarted on port {port}")  # noqa: T201

    assert before.is_success()
    assert [r.status_code() for r in while_down] == [UNAVAILABLE] * 3
    assert all(r.attempts() == 3 for r in while_down)  # refused connections: retried, unsent
    assert health_while_down.status is HealthStatus.UNREACHABLE
    assert ready_while_down is False
    assert ready is True
    assert after.is_success()
    assert after.message().name == "user 2"
    assert len(second.service.received) == 1  # answered by the restarted server
    assert health_after.is_serving()


async def test_with_the_default_circuit_breaker_calls_resume_after_its_cool_down(
    side: SyncOrAsync,
) -> None:
    """Connected is not yet called: an open circuit answers at once until its probe succeeds."""
    clock = FakeClock()  # the breaker's time; grpc's reconnection runs on real time
    with RunningServer.start() as first:
        port = first.port
        client = GrpcClient(first.target, default_timeout=10.0, clock=clock)
    try:
        while_down = [await side.call(client, ScriptedRequest("1")) for _ in range(2)]
        with RunningServer.start(port=port) as second:
            ready = await side.wait_until_ready(client, 60.0)
            refused = await side.call(client, ScriptedRequest("2"))
            health_refused = await side.check_health(client)
            clock.advance(CircuitBreakerPolicy().reset_timeout)
            probe = await side.call(client, ScriptedRequest("3"))
            after = await side.call(client, ScriptedRequest("4"))
    finally:
        client.close()

    assert [r.attempts() for r in while_down] == [3, 2]  # the fifth failure opened the circuit
    assert ready is True
    assert (refused.status_code(), refused.attempts()) == (UNAVAILABLE, 0)
    assert refused.details().startswith("circuit open")
    assert health_refused.status is HealthStatus.UNREACHABLE
    assert health_refused.details.startswith("circuit open")
    assert probe.is_success()
    assert after.is_success()
    assert len(second.service.received) == 2  # the probe and the call after it
