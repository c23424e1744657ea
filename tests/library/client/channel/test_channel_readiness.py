import asyncio
import math
import threading

import pytest

from grpc_request_client import GrpcClient, GrpcClientClosed, InvalidGrpcTimeout
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.SyncOrAsync import SyncOrAsync
from tests.Support.TcpConnections import TcpConnections

NOTHING_LISTENS = "127.0.0.1:1"


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> SyncOrAsync:
    return SyncOrAsync(request.param)


async def test_a_listening_server_is_ready(client: GrpcClient, side: SyncOrAsync) -> None:
    assert await side.wait_until_ready(client, 5.0) is True


async def test_nothing_listening_is_not_ready_once_the_timeout_passes(side: SyncOrAsync) -> None:
    with GrpcClient(NOTHING_LISTENS) as client:
        assert await side.wait_until_ready(client, 0.3) is False


async def test_the_wait_opens_the_connection_the_next_call_uses(
    server: RunningServer, side: SyncOrAsync
) -> None:
    port = server.port
    with GrpcClient(server.target) as client:
        before_the_wait = TcpConnections.to(port)
        assert await side.wait_until_ready(client, 5.0)
        after_the_wait = TcpConnections.to(port)
        response = await side.call(client, ScriptedRequest("1"))
        after_the_call = TcpConnections.to(port)

    assert response.is_success()
    assert before_the_wait == frozenset()
    assert len(after_the_wait) == 1
    assert after_the_call == after_the_wait


@pytest.mark.parametrize("timeout", [0, -1.0, math.nan, math.inf, 1e9, True, "5", None])
async def test_a_timeout_the_call_rule_refuses_raises(
    client: GrpcClient, side: SyncOrAsync, timeout: object
) -> None:
    with pytest.raises(InvalidGrpcTimeout, match="timeout must be a number of seconds above 0"):
        await side.wait_until_ready(client, timeout)


async def test_a_closed_client_refuses_to_wait(client: GrpcClient, side: SyncOrAsync) -> None:
    client.close()

    with pytest.raises(GrpcClientClosed, match="is closed"):
        await side.wait_until_ready(client, 5.0)


def test_close_from_another_thread_ends_a_blocking_wait_with_false() -> None:
    client = GrpcClient(NOTHING_LISTENS)
    waiting = threading.Event()
    outcome: list[bool] = []

    def wait_long() -> None:
        waiting.set()
        outcome.append(client.wait_until_ready(1000.0))

    waiter = threading.Thread(target=wait_long, daemon=True)  # a hang must not outlive pytest
    waiter.start()
    waiting.wait()
    threading.Event().wait(0.2)  # let it reach grpc's ready future
    client.close()
    waiter.join(timeout=30)

    assert outcome == [False]  # and not after the 1000 s it asked for


async def test_close_on_the_same_loop_ends_an_async_wait_with_false() -> None:
    client = GrpcClient(NOTHING_LISTENS)
    waiting = asyncio.ensure_future(client.wait_until_ready_async(1000.0))
    await asyncio.sleep(0)  # the wait has opened the channel and is suspended on it

    client.close()

    assert await asyncio.wait_for(waiting, 30) is False  # not after the 1000 s it asked for


async def test_cancelling_the_waiting_task_still_cancels_it() -> None:
    with GrpcClient(NOTHING_LISTENS) as client:
        waiting = asyncio.ensure_future(client.wait_until_ready_async(1000.0))
        await asyncio.sleep(0)

        waiting.cancel()

        with pytest.raises(asyncio.CancelledError):
            await waiting
