"""The call engine's deadline decisions, on a FakeGrpcClient: the real engine, an in-memory wire.

Each scenario spends the call's one deadline a different way (backoffs between failed
attempts, attempts capped by the policy that a slow server lets run out, retries of a server
that cannot be reached); none may answer later than the timeout. The fake's ``InstantClock``
moves only by what the engine sleeps and what a scripted slow server takes, so the time a call
took is read on that clock, exactly. test_grpc_client_deadline.py proves the same bound over
real sockets with real sleeps.
"""

from collections.abc import Callable

import grpc
import pytest

from grpc_request_client import CircuitBreakerPolicy, GrpcResponse, RetryPolicy
from grpc_request_client.testing import FakeGrpcClient, RecordedCall
from grpc_request_client.testing.fake import InstantClock
from tests.conftest import Invoke
from tests.Support.HeldAnswer import USERS
from tests.Support.ScriptedRequest import ScriptedRequest

TIMEOUT = 1.0
NO_BREAKER = CircuitBreakerPolicy.disabled()
RETRY_SLOWLY = RetryPolicy(max_attempts=10, initial_backoff=0.3, multiplier=1.0, jitter=0.0)
CAPPED = RetryPolicy(max_attempts=10, attempt_timeout=0.4, initial_backoff=0.05, jitter=0.0)


class _Idempotent(ScriptedRequest):
    def idempotent(self) -> bool:
        return True


def _slower_than_any_attempt(clock: InstantClock) -> Callable[[RecordedCall], GrpcResponse]:
    """A server that takes all of each attempt's time and never answers: grpc's own ending."""

    def answer(call: RecordedCall) -> GrpcResponse:
        clock.sleep(call.timeout)
        return GrpcResponse(grpc.StatusCode.DEADLINE_EXCEEDED, details="Deadline Exceeded")

    return answer


def _scenarios() -> dict[str, Callable[[InstantClock], FakeGrpcClient]]:
    def failing(clock: InstantClock) -> FakeGrpcClient:
        fake = FakeGrpcClient(retry=RETRY_SLOWLY, circuit_breaker=NO_BREAKER, clock=clock)
        fake.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE, "scripted UNAVAILABLE")
        return fake

    def capped(clock: InstantClock) -> FakeGrpcClient:
        fake = FakeGrpcClient(retry=CAPPED, circuit_breaker=NO_BREAKER, clock=clock)
        fake.handle(USERS, "GetUser", _slower_than_any_attempt(clock))
        return fake

    def unreachable(clock: InstantClock) -> FakeGrpcClient:
        fake = FakeGrpcClient(retry=RETRY_SLOWLY, circuit_breaker=NO_BREAKER, clock=clock)
        fake.unreachable(USERS, "GetUser")
        return fake

    return {
        "retries-with-backoff": failing,
        "capped-attempts": capped,
        "unreachable-retried": unreachable,
    }


@pytest.mark.parametrize("scenario", list(_scenarios()))
async def test_no_call_outlives_its_timeout(invoke: Invoke, scenario: str) -> None:
    clock = InstantClock()
    with _scenarios()[scenario](clock) as fake:
        started = clock.now()
        response = await invoke(fake, _Idempotent("1", timeout=TIMEOUT))
        took = clock.now() - started

    assert not response.is_success()
    assert response.attempts() > 1, f"{scenario}: the deadline left room for retries"
    assert took <= TIMEOUT, f"{scenario}: answered after {took:.3f} s"
    assert all(call.timeout <= TIMEOUT for call in fake.calls)


async def test_an_attempt_never_gets_more_than_the_policys_cap_or_what_is_left(
    invoke: Invoke,
) -> None:
    clock = InstantClock()
    with _scenarios()["capped-attempts"](clock) as fake:
        response = await invoke(fake, _Idempotent("1", timeout=TIMEOUT))

    timeouts = [round(call.timeout, 6) for call in fake.calls]
    # 0.4 s, a 0.05 s backoff, 0.4 s, a 0.1 s one: the third gets the 0.05 s that is left.
    assert timeouts == [0.4, 0.4, 0.05]
    assert response.attempts() == 3
    assert response.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
