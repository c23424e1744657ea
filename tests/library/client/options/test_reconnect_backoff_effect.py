"""max_reconnect_backoff's effect: a failing connection is retried at least that often."""

import asyncio

from grpc_request_client import GrpcClient, RetryPolicy
from tests.conftest import Invoke
from tests.Support.HangingUpPort import HangingUpPort
from tests.Support.ScriptedRequest import ScriptedRequest

ATTEMPTS = 8  # grpc's own schedule (1 s, then 1.6 s, 2.6 s...) makes 3 in 3 s


async def test_a_failing_connection_is_retried_at_least_every_max_reconnect_backoff(
    invoke: Invoke,
) -> None:
    with HangingUpPort.start() as port:
        client = GrpcClient(
            port.target,
            default_timeout=3.0,
            wait_for_ready=True,
            retry=RetryPolicy.disabled(),
            max_reconnect_backoff=0.1,
        )
        with client:
            waiting = asyncio.ensure_future(invoke(client, ScriptedRequest("1")))
            reached = await asyncio.to_thread(port.wait_for, ATTEMPTS, 3.0)
            await waiting

    assert reached
