"""Backoff is tenacity's: a wait strategy asked for each wait with the call's own RetryCallState."""

from dataclasses import dataclass

import grpc
import pytest
from tenacity import (
    RetryCallState,
    stop_after_attempt,
    wait_chain,
    wait_exponential,
    wait_exponential_jitter,
    wait_fixed,
    wait_random,
    wait_random_exponential,
)
from tenacity.wait import wait_base

from grpc_request_client import (
    CircuitBreakerPolicy,
    GrpcClient,
    GrpcClientSettings,
    GrpcResponse,
    InvalidGrpcClientSettings,
    RetryPolicy,
)
from grpc_request_client.testing import FakeGrpcClient
from tests.conftest import Invoke
from tests.Support.FakeClock import FakeClock
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

USERS = "user.UserService"


class IdempotentRequest(ScriptedRequest):
    def idempotent(self) -> bool:
        return True


@dataclass(frozen=True)
class SeenState:
    attempt_number: int
    code: grpc.StatusCode
    details: str
    idle_for: float
    seconds_since_start: float | None
    max_attempts: int


class RecordingWait(wait_base):
    """Waits ``seconds`` times the attempt number, noting the retry state it was asked with."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.seen: list[SeenState] = []

    def __call__(self, retry_state: RetryCallState) -> float:
        assert retry_state.outcome is not None
        response = retry_state.outcome.result()
        assert isinstance(response, GrpcResponse)
        stop = retry_state.retry_object.stop
        assert isinstance(stop, stop_after_attempt)
        self.seen.append(
            SeenState(
                retry_state.attempt_number,
                response.status_code(),
                response.details(),
                retry_state.idle_for,
                retry_state.seconds_since_start,
                stop.max_attempt_number,
            )
        )
        return self.seconds * retry_state.attempt_number


def _client(server: RunningServer, clock: FakeClock, retry: RetryPolicy) -> GrpcClient:
    return GrpcClient(
        server.target,
        retry=retry,
        clock=clock,
        default_timeout=10.0,
        circuit_breaker=CircuitBreakerPolicy.disabled(),
    )


async def test_the_strategy_is_asked_for_each_wait_with_the_calls_retry_state(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    wait = RecordingWait(0.25)
    with _client(server, clock, RetryPolicy(max_attempts=4, wait=wait)) as client:
        response = await invoke(client, IdempotentRequest("fail-2-UNAVAILABLE"))

    assert response.is_success()
    assert response.attempts() == 3
    assert clock.sleeps == [0.25, 0.5]
    assert wait.seen == [
        SeenState(1, grpc.StatusCode.UNAVAILABLE, "scripted UNAVAILABLE #1", 0.0, 0.0, 4),
        SeenState(2, grpc.StatusCode.UNAVAILABLE, "scripted UNAVAILABLE #2", 0.25, 0.25, 4),
    ]


async def test_tenacitys_own_strategies_combine_as_tenacity_says(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(wait=wait_fixed(0.2) + wait_exponential(multiplier=0.1))
    with _client(server, clock, policy) as client:
        response = await invoke(client, IdempotentRequest("fail-2-UNAVAILABLE"))

    assert response.attempts() == 3
    assert clock.sleeps == pytest.approx([0.3, 0.4])


async def test_a_chain_gives_each_attempt_its_own_wait(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=4, wait=wait_chain(wait_fixed(0.1), wait_fixed(0.7)))
    with _client(server, clock, policy) as client:
        response = await invoke(client, IdempotentRequest("always-UNAVAILABLE"))

    assert response.attempts() == 4
    assert clock.sleeps == [0.1, 0.7, 0.7]


async def test_random_exponential_stays_within_its_bounds(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=5, wait=wait_random_exponential(multiplier=0.1, max=0.15))
    with _client(server, clock, policy) as client:
        response = await invoke(client, IdempotentRequest("always-UNAVAILABLE"))

    assert response.attempts() == 5
    assert len(clock.sleeps) == 4
    assert all(0 <= seconds <= 0.15 for seconds in clock.sleeps)


async def test_a_wait_never_outlives_the_calls_deadline(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    wait = RecordingWait(5.0)
    with _client(server, clock, RetryPolicy(wait=wait)) as client:
        response = await invoke(client, IdempotentRequest("always-UNAVAILABLE", timeout=1.0))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.attempts() == 1
    assert len(server.service.received) == 1
    assert clock.sleeps == []
    assert [seen.attempt_number for seen in wait.seen] == [1]


async def test_without_a_strategy_the_fields_still_describe_the_backoff(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_attempts=4, initial_backoff=0.1, multiplier=3.0, max_backoff=0.5, jitter=0.0
    )
    with _client(server, clock, policy) as client:
        await invoke(client, IdempotentRequest("always-UNAVAILABLE"))

    assert clock.sleeps == pytest.approx([0.1, 0.3, 0.5])


@pytest.mark.parametrize(
    "gives", [pytest.param(-1.0, id="negative"), pytest.param(float("nan"), id="nan"), "soon"]
)
async def test_a_strategy_giving_no_number_of_seconds_is_named(
    server: RunningServer, invoke: Invoke, gives: object
) -> None:
    def broken(retry_state: RetryCallState) -> float:
        return gives  # type: ignore[return-value]

    with (
        _client(server, FakeClock(), RetryPolicy(wait=broken)) as client,
        pytest.raises(
            InvalidGrpcClientSettings, match=r"retry wait .*broken gave .* after attempt 1:"
        ),
    ):
        await invoke(client, IdempotentRequest("always-UNAVAILABLE"))

    assert len(server.service.received) == 1


@pytest.mark.parametrize("wait", [3, "exponential", wait_fixed])
def test_anything_but_a_strategy_is_refused_at_construction(wait: object) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="wait must be a tenacity wait strategy"):
        RetryPolicy(wait=wait)  # type: ignore[arg-type]


def test_policies_built_alike_from_strategies_are_equal_so_their_clients_share_a_channel() -> None:
    def built() -> RetryPolicy:
        return RetryPolicy(wait=wait_random_exponential(max=2) + wait_random(0, 0.1))

    assert built() == built()
    assert hash(built()) == hash(built())
    assert GrpcClientSettings("users:50051", retry=built()) == GrpcClientSettings(
        "users:50051", retry=built()
    )
    assert built() != RetryPolicy(wait=wait_random_exponential(max=3) + wait_random(0, 0.1))
    assert RetryPolicy(wait=wait_fixed(1)) != RetryPolicy()


def test_the_repr_shows_the_strategy_as_built() -> None:
    shown = repr(RetryPolicy(wait=wait_exponential_jitter(multiplier=0.1, max=2)))

    assert "wait=wait_exponential_jitter(" in shown
    assert "max=2" in shown
    assert " at 0x" not in shown


async def test_the_fake_client_waits_by_the_strategy_on_its_instant_clock(invoke: Invoke) -> None:
    wait = RecordingWait(0.5)
    with FakeGrpcClient("users:50051", default_timeout=10.0, retry=RetryPolicy(wait=wait)) as fake:
        fake.unreachable(USERS, "GetUser")
        fake.unreachable(USERS, "GetUser")
        fake.unreachable(USERS, "GetUser")
        response = await invoke(fake, ScriptedRequest("7"))

    assert response.attempts() == 3
    assert [seen.seconds_since_start for seen in wait.seen] == [0.0, 0.5]
    assert [seen.idle_for for seen in wait.seen] == [0.0, 0.5]


async def test_the_fake_client_keeps_the_deadline_rule(invoke: Invoke) -> None:
    wait = RecordingWait(20.0)
    with FakeGrpcClient("users:50051", default_timeout=10.0, retry=RetryPolicy(wait=wait)) as fake:
        fake.unreachable(USERS, "GetUser")
        response = await invoke(fake, ScriptedRequest("7"))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.attempts() == 1
