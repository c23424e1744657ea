import asyncio
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.BulkheadPolicy import BulkheadPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors import InvalidGrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


def test_over_the_limit_a_fail_fast_bulkhead_answers_resource_exhausted(
    server: RunningServer,
) -> None:
    with (
        GrpcClient(server.target, bulkhead=BulkheadPolicy(max_in_flight=1, wait=False)) as client,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        occupying = pool.submit(client.call, ScriptedRequest("slow", timeout=1.0))
        server.wait_until_received(1)
        refused = client.call(ScriptedRequest("1"))
        occupying.result()
        afterwards = client.call(ScriptedRequest("1"))

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.details() == f"bulkhead full: 1 calls already in flight to {server.target}"
    assert refused.attempts() == 0
    assert afterwards.is_success()


def test_a_waiting_bulkhead_lets_the_extra_call_through_once_a_slot_frees(
    server: RunningServer,
) -> None:
    with (
        GrpcClient(server.target, bulkhead=BulkheadPolicy(max_in_flight=1)) as client,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        occupying = pool.submit(client.call, ScriptedRequest("slow", timeout=0.3))
        server.wait_until_received(1)
        waited = client.call(ScriptedRequest("1", timeout=10.0))

    assert occupying.result().status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert waited.is_success()


def test_a_waiting_call_gives_up_when_its_own_timeout_runs_out(server: RunningServer) -> None:
    with (
        GrpcClient(server.target, bulkhead=BulkheadPolicy(max_in_flight=1)) as client,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        occupying = pool.submit(client.call, ScriptedRequest("slow", timeout=2.0))
        server.wait_until_received(1)
        gave_up = client.call(ScriptedRequest("1", timeout=0.1))
        occupying.result()

    assert gave_up.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(server.service.received) == 1


async def test_async_calls_share_the_limit_and_queue_behind_it(server: RunningServer) -> None:
    with GrpcClient(server.target, bulkhead=BulkheadPolicy(max_in_flight=2)) as client:
        responses: list[GrpcResponse] = await asyncio.gather(
            *(client.call_async(ScriptedRequest(str(number))) for number in range(20))
        )

    assert all(response.is_success() for response in responses)


async def test_async_fail_fast_refuses_what_does_not_fit(server: RunningServer) -> None:
    policy = BulkheadPolicy(max_in_flight=1, wait=False)
    with GrpcClient(server.target, bulkhead=policy) as client:
        slow = asyncio.ensure_future(client.call_async(ScriptedRequest("slow", timeout=1.0)))
        await asyncio.to_thread(server.wait_until_received, 1)
        refused = await client.call_async(ScriptedRequest("1"))
        await slow

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_the_limit_holds_across_sync_and_async_callers(server: RunningServer) -> None:
    policy = BulkheadPolicy(max_in_flight=1, wait=False)
    with GrpcClient(server.target, bulkhead=policy) as client:
        blocking = asyncio.ensure_future(
            asyncio.to_thread(client.call, ScriptedRequest("slow", timeout=1.0))
        )
        await asyncio.to_thread(server.wait_until_received, 1)
        refused = await client.call_async(ScriptedRequest("1"))
        await blocking

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize("limit", [0, -1, 1.5])
def test_an_unusable_limit_fails_at_construction(limit: object) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="max_in_flight"):
        BulkheadPolicy(max_in_flight=limit)  # type: ignore[arg-type]
