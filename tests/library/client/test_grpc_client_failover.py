"""Failover across real backend processes under grpc's round_robin balancer."""

import asyncio
import collections
from collections.abc import Iterator

import pytest

from grpc_request_client import GrpcClient, GrpcResponse
from tests.Support.KillableBackend import KillableBackend
from tests.Support.ScriptedRequest import ScriptedRequest

CALLS = 2000
BATCH = 50


class IdempotentGetUser(ScriptedRequest):
    def idempotent(self) -> bool:
        return True


@pytest.fixture
def backends() -> Iterator[list[KillableBackend]]:
    started = [KillableBackend() for _ in range(3)]
    yield started
    for backend in started:
        backend.stop()


async def test_killing_one_of_three_backends_mid_run_fails_no_call(
    backends: list[KillableBackend],
) -> None:
    target = "ipv4:" + ",".join(backend.address for backend in backends)
    victim = backends[1]
    responses: list[GrpcResponse] = []
    # The default breaker stays on: it hears one outcome per call, and the dying backend's
    # failures are retried on the others, so the calls succeed and nothing trips.
    with GrpcClient(target, load_balancing="round_robin") as client:
        for start in range(0, CALLS, BATCH):
            batch = [
                client.call_async(IdempotentGetUser(f"user-{number}"))
                for number in range(start, start + BATCH)
            ]
            if start == CALLS // 2:
                batch.append(asyncio.to_thread(victim.kill))
            responses.extend(
                response for response in await asyncio.gather(*batch) if response is not None
            )

    failed = [(r.status_code().name, r.details()) for r in responses if not r.is_success()]
    served = collections.Counter(response.message().name for response in responses)
    survivors = [served[backends[0].name], served[backends[2].name]]
    assert len(responses) == CALLS
    assert failed == []
    assert abs(survivors[0] - survivors[1]) <= 0.1 * sum(survivors)
    assert 0 < served[victim.name] < sum(survivors) / 2
