"""One deadline per call: the bulkhead wait, every attempt and every backoff draw from it.

Over real sockets with real sleeps. The engine's decisions about the same deadline are
tested on a FakeGrpcClient: call/test_call_engine.py, and for a call whose whole deadline
went waiting for a bulkhead slot, resilience/test_bulkhead.py.
"""

import asyncio
import threading
from collections.abc import Callable
from time import perf_counter

import grpc
import pytest

from grpc_request_client import (
    BulkheadPolicy,
    CircuitBreakerPolicy,
    GrpcClient,
    GrpcResponse,
    RetryPolicy,
)
from tests.conftest import Invoke
from tests.Support.RefusedPort import RefusedPort
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

TIMEOUT = 1.0
# Generous: CI shares two cores with a server; an overrun of a whole timeout is the fault.
TOLERANCE = 0.35
NO_BREAKER = CircuitBreakerPolicy.disabled()


def _hold_the_only_slot(client: GrpcClient, seconds: float) -> threading.Thread:
    """A slow call in another thread that keeps the client's one bulkhead slot ``seconds``."""
    holder = threading.Thread(
        target=client.call, args=(ScriptedRequest("slow", timeout=seconds),), daemon=True
    )
    holder.start()
    return holder


async def _timed(
    invoke: Invoke, client: GrpcClient, request: ScriptedRequest
) -> tuple[GrpcResponse, float]:
    started = perf_counter()
    response = await invoke(client, request)
    return response, perf_counter() - started


async def test_waiting_for_a_bulkhead_slot_spends_the_calls_own_deadline(
    server: RunningServer, invoke: Invoke
) -> None:
    bulkhead = BulkheadPolicy(max_in_flight=1)
    with GrpcClient(server.target, bulkhead=bulkhead, circuit_breaker=NO_BREAKER) as client:
        holder = _hold_the_only_slot(client, 0.6)
        server.wait_until_received(1)
        response, took = await _timed(invoke, client, ScriptedRequest("slow", timeout=TIMEOUT))
        holder.join()

    assert response.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert took <= TIMEOUT + TOLERANCE, f"answered after {took:.2f} s"


class _Idempotent(ScriptedRequest):
    def idempotent(self) -> bool:
        return True


def _scenarios() -> dict[str, Callable[[RunningServer], tuple[GrpcClient, ScriptedRequest]]]:
    """Over the wire, with real sleeps; the engine's other deadline decisions are in call/."""
    retry_slowly = RetryPolicy(max_attempts=10, initial_backoff=0.3, multiplier=1.0, jitter=0.0)
    return {
        "slow-server": lambda s: (
            GrpcClient(s.target, circuit_breaker=NO_BREAKER),
            ScriptedRequest("slow", timeout=TIMEOUT),
        ),
        "retries-with-backoff": lambda s: (
            GrpcClient(s.target, retry=retry_slowly, circuit_breaker=NO_BREAKER),
            _Idempotent("always-UNAVAILABLE", timeout=TIMEOUT),
        ),
        "waiting-for-ready": lambda s: (
            GrpcClient(RefusedPort.target(), wait_for_ready=True, circuit_breaker=NO_BREAKER),
            _Idempotent("1", timeout=TIMEOUT),
        ),
    }


@pytest.mark.parametrize("scenario", list(_scenarios()))
async def test_no_call_outlives_its_timeout(
    server: RunningServer, invoke: Invoke, scenario: str
) -> None:
    client, request = _scenarios()[scenario](server)
    with client:
        response, took = await _timed(invoke, client, request)

    assert not response.is_success()
    assert took <= TIMEOUT + TOLERANCE, f"{scenario}: answered after {took:.2f} s"


async def test_a_cancelled_call_leaves_its_deadline_to_nobody(server: RunningServer) -> None:
    """Cancelling ``call_async`` cancels the call at once, wherever it was waiting."""
    bulkhead = BulkheadPolicy(max_in_flight=1)
    with GrpcClient(server.target, bulkhead=bulkhead, circuit_breaker=NO_BREAKER) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.call_async(ScriptedRequest("slow", timeout=5.0)), 0.2)
        after = await client.call_async(ScriptedRequest("1", timeout=2.0))

    assert after.is_success()
