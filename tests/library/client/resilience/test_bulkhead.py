import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter

import grpc
import pytest

from grpc_request_client import BulkheadPolicy, GrpcClient, GrpcResponse, InvalidGrpcClientSettings
from grpc_request_client.testing import FakeGrpcClient
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.HeldAnswer import USERS, HeldAnswer
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

# Real servers prove the wire: a call past a fail-fast limit is refused while a slow one is in
# flight, and async calls queue behind the limit. The bulkhead's other decisions are tested on
# a FakeGrpcClient, the real client's engine over an in-memory wire, whose held call stays in
# flight for exactly as long as a test says (HeldAnswer) and whose clock is an InstantClock.


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


async def test_async_calls_share_the_limit_and_queue_behind_it(server: RunningServer) -> None:
    with GrpcClient(server.target, bulkhead=BulkheadPolicy(max_in_flight=2)) as client:
        responses: list[GrpcResponse] = await asyncio.gather(
            *(client.call_async(ScriptedRequest(str(number))) for number in range(20))
        )

    assert all(response.is_success() for response in responses)


async def test_the_limit_holds_across_sync_and_async_callers(invoke: Invoke) -> None:
    """A blocking call in flight in another thread refuses a sync or an async caller alike."""
    with (
        FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1, wait=False)) as fake,
        HeldAnswer.holding(fake) as (held, holder),
    ):
        refused = await invoke(fake, ScriptedRequest("1"))
        held.release()
        answered = holder.result(10)  # its slot is given back before its response
        afterwards = await invoke(fake, ScriptedRequest("1"))

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (
        refused.details() == f"bulkhead full: 1 calls already in flight to {fake.settings.target}"
    )
    assert refused.attempts() == 0
    assert answered.is_success()
    assert afterwards.is_success()
    assert [call.message.user_id for call in fake.calls] == ["held", "1"]


async def test_async_fail_fast_refuses_what_does_not_fit() -> None:
    with FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1, wait=False)) as fake:
        fake.reply(USERS, "GetUser", user_pb2.User(name="served"))
        in_flight = asyncio.create_task(fake.call_async(ScriptedRequest("first")))
        await asyncio.sleep(0)  # the task is now inside its attempt, holding the slot
        refused = await fake.call_async(ScriptedRequest("1"))
        first = await in_flight

    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert first.is_success()
    assert [call.message.user_id for call in fake.calls] == ["first"]


def test_a_waiting_bulkhead_lets_the_extra_call_through_once_a_slot_frees() -> None:
    with (
        FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1)) as fake,
        HeldAnswer.holding(fake) as (held, holder),
    ):
        threading.Timer(0.1, held.release).start()
        waited = fake.call(ScriptedRequest("1", timeout=10.0))

    assert holder.result().is_success()
    assert waited.is_success()
    assert [call.message.user_id for call in fake.calls] == ["held", "1"]


async def test_an_async_call_waits_for_the_slot_of_a_task_that_finishes() -> None:
    with FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1)) as fake:
        fake.reply(USERS, "GetUser", user_pb2.User(name="served"))
        in_flight = asyncio.create_task(fake.call_async(ScriptedRequest("first")))
        await asyncio.sleep(0)  # the task is now inside its attempt, holding the slot
        waited = await fake.call_async(ScriptedRequest("1", timeout=10.0))
        first = await in_flight

    assert first.is_success()
    assert waited.is_success()
    first_call, waited_call = fake.calls
    assert (first_call.message.user_id, waited_call.message.user_id) == ("first", "1")
    assert waited_call.timeout < 10.0  # the wait for the slot drew from the call's deadline


async def test_a_waiting_call_gives_up_when_its_own_timeout_runs_out(invoke: Invoke) -> None:
    """Its whole deadline went waiting for a slot, so it is never sent."""
    with (
        FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1)) as fake,
        HeldAnswer.holding(fake) as (_, holder),
    ):
        started = perf_counter()
        gave_up = await invoke(fake, ScriptedRequest("1", timeout=0.3))
        took = perf_counter() - started

    assert gave_up.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert gave_up.attempts() == 0
    assert len(fake.calls) == 1  # only the held call was sent
    # Generous: CI shares two cores; an overrun of a whole timeout is the fault.
    assert took <= 0.3 + 0.35, f"gave up after {took:.2f} s"
    assert holder.result().is_success()


@pytest.mark.parametrize("limit", [0, -1, 1.5])
def test_an_unusable_limit_fails_at_construction(limit: object) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="max_in_flight"):
        BulkheadPolicy(max_in_flight=limit)  # type: ignore[arg-type]
