"""A server that goes away and comes back on the same port, with the same client throughout."""

from time import perf_counter

import grpc
import pytest

from grpc_request_client import CircuitBreakerPolicy, GrpcClient, HealthStatus, RetryPolicy
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.SyncOrAsync import SyncOrAsync

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> SyncOrAsync:
    return SyncOrAsync(request.param)


async def _until_it_has_seen_its_server_go(side: SyncOrAsync, client: GrpcClient) -> None:
    """The server's GOAWAY reaches the client's connection a moment after ``stop()`` returns.

    Until then the connection is still READY, and a call sent on it meets the GOAWAY: it
    was sent, so it is neither retried nor a call to a server that is down. A loaded
    machine (parallel workers) stretches that moment; the calls under test come after it.
    """
    for _ in range(200):
        if not await side.wait_until_ready(client, 0.05):
            return
    raise AssertionError("the client's connection stayed READY after its server stopped")


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
        await _until_it_has_seen_its_server_go(side, client)
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


async def test_with_the_default_circuit_breaker_calls_resume_as_soon_as_the_server_is_back(
    side: SyncOrAsync,
) -> None:
    """A restart opens no circuit: failures that never left the client are not counted.

    While the server is down grpc fails each call at once, before sending it (its
    reconnect backoff); those add no load to the server, so the breaker leaves
    them out, and nothing but grpc's reconnection stands between the restarted
    server and the next call.
    """
    with RunningServer.start() as first:
        port = first.port
        # Retries off, so the 30 calls while it is down (more than the breaker's minimum of
        # 20) fail at once: the default breaker is what is under test.
        client = GrpcClient(first.target, default_timeout=10.0, retry=RetryPolicy.disabled())
    try:
        while_down = [await side.call(client, ScriptedRequest("1")) for _ in range(30)]
        with RunningServer.start(port=port) as second:
            restarted = perf_counter()
            ready = await side.wait_until_ready(client, 60.0)
            after = await side.call(client, ScriptedRequest("2"))
            recovery = perf_counter() - restarted
    finally:
        client.close()
    print(f"{side}: a call succeeded {recovery:.3f} s after the restart")  # noqa: T201

    assert all(r.status_code() is UNAVAILABLE and r.attempts() == 1 for r in while_down)
    assert not any(r.details().startswith("circuit open") for r in while_down)
    assert ready is True
    assert after.is_success()
    assert len(second.service.received) == 1
