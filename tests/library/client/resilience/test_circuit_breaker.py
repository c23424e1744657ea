import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

import grpc
import pytest

from grpc_request_client import ChannelRegistry, CircuitBreakerPolicy, GrpcClient, RetryPolicy
from grpc_request_client.resilience import CircuitBreaker, CircuitPermit
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.FakeClock import FakeClock
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

OK = grpc.StatusCode.OK
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
KEY = "backend:50051"
# Opens once 4 calls are in and half of them failed; two trial calls decide a half-open circuit.
POLICY = CircuitBreakerPolicy(
    failure_rate_threshold=50, minimum_calls=4, window_size=4, half_open_calls=2
)


def _breaker(clock: FakeClock | None = None, **policy: object) -> CircuitBreaker:
    fields = {"failure_rate_threshold": 50, "minimum_calls": 4, "window_size": 4} | policy
    return CircuitBreaker(CircuitBreakerPolicy(**fields), clock or FakeClock())  # type: ignore[arg-type]


def _calls(breaker: CircuitBreaker, *codes: grpc.StatusCode | None) -> None:
    """One admitted call per code, each settled with it before the next is admitted."""
    for code in codes:
        permit = breaker.admit(KEY)
        assert permit is not None, f"refused before settling {code}"
        breaker.settle(permit, code)


def _opened(clock: FakeClock, **policy: object) -> CircuitBreaker:
    breaker = _breaker(clock, **policy)
    _calls(breaker, *[UNAVAILABLE] * 4)
    assert breaker.state(KEY) == "open"
    return breaker


def _admit(breaker: CircuitBreaker, count: int) -> list[CircuitPermit]:
    permits = [breaker.admit(KEY) for _ in range(count)]
    assert None not in permits
    return [permit for permit in permits if permit is not None]


def test_an_unknown_key_is_closed_and_admitted() -> None:
    breaker = _breaker()

    assert breaker.state(KEY) == "closed"
    assert breaker.retry_in(KEY) == 0.0
    assert breaker.admit(KEY) is not None


def test_below_minimum_calls_even_all_failures_leave_it_closed() -> None:
    breaker = _breaker(minimum_calls=5, window_size=10)

    _calls(breaker, *[UNAVAILABLE] * 4)

    assert breaker.state(KEY) == "closed"
    _calls(breaker, UNAVAILABLE)
    assert breaker.state(KEY) == "open"


@pytest.mark.parametrize(
    ("threshold", "failures", "state"),
    [(50, 1, "closed"), (50, 2, "open"), (75, 2, "closed"), (75, 3, "open"), (100, 3, "closed")],
)
def test_it_opens_when_the_failure_rate_reaches_the_threshold_and_not_below(
    threshold: float, failures: int, state: str
) -> None:
    breaker = _breaker(failure_rate_threshold=threshold)

    _calls(breaker, *[OK] * (4 - failures), *[UNAVAILABLE] * failures)

    assert breaker.state(KEY) == state


def test_the_window_holds_only_the_last_window_size_calls() -> None:
    slid = _breaker(failure_rate_threshold=30)
    _calls(slid, UNAVAILABLE, OK, OK, OK, OK, UNAVAILABLE)  # the first failure has fallen out
    recent = _breaker()
    _calls(recent, OK, OK, OK, OK, UNAVAILABLE, UNAVAILABLE)  # 2 of the last 4, not 2 of 6

    assert slid.state(KEY) == "closed"
    assert recent.state(KEY) == "open"


def test_a_minimum_above_the_window_size_waits_for_a_full_window() -> None:
    breaker = _breaker(minimum_calls=50, window_size=3)

    _calls(breaker, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE)

    assert breaker.state(KEY) == "open"


def test_calls_without_an_outcome_never_count() -> None:
    breaker = _breaker(failure_rate_threshold=100)

    _calls(breaker, UNAVAILABLE, *[None] * 5, UNAVAILABLE, UNAVAILABLE)
    closed = breaker.state(KEY)
    _calls(breaker, UNAVAILABLE)

    assert closed == "closed"
    assert breaker.state(KEY) == "open"


@pytest.mark.parametrize(
    "answered",
    [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED, OK],
)
def test_codes_outside_failure_codes_count_as_successes(answered: grpc.StatusCode) -> None:
    breaker = _breaker(failure_rate_threshold=100)

    _calls(breaker, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, answered)

    assert breaker.state(KEY) == "closed"


def test_failure_codes_decide_what_a_failure_is() -> None:
    breaker = _breaker(failure_codes=frozenset({grpc.StatusCode.INTERNAL}))

    _calls(breaker, UNAVAILABLE, UNAVAILABLE, grpc.StatusCode.INTERNAL, OK)
    closed = breaker.state(KEY)
    _calls(breaker, grpc.StatusCode.INTERNAL)

    assert closed == "closed"
    assert breaker.state(KEY) == "open"


def test_an_open_circuit_refuses_until_reset_timeout_and_says_how_long_is_left() -> None:
    clock = FakeClock()
    breaker = _opened(clock, reset_timeout=10.0)

    clock.advance(9.5)
    refused = breaker.admit(KEY)
    retry_in = breaker.retry_in(KEY)
    clock.advance(0.5)

    assert refused is None
    assert retry_in == pytest.approx(0.5)
    assert breaker.state(KEY) == "half_open"
    assert breaker.retry_in(KEY) == 0.0


def test_half_open_admits_exactly_half_open_calls_trials() -> None:
    clock = FakeClock()
    breaker = _opened(clock, half_open_calls=3)
    clock.advance(10)

    permits = [breaker.admit(KEY) for _ in range(5)]

    assert [permit is not None for permit in permits] == [True, True, True, False, False]
    assert breaker.state(KEY) == "half_open"


@pytest.mark.parametrize(
    ("outcomes", "state"),
    [
        ((OK, OK, OK, OK), "closed"),
        ((OK, UNAVAILABLE, OK, OK), "closed"),
        ((OK, UNAVAILABLE, UNAVAILABLE, OK), "open"),
        ((UNAVAILABLE,) * 4, "open"),
    ],
)
def test_the_trials_failure_rate_closes_or_reopens_once_every_trial_has_ended(
    outcomes: tuple[grpc.StatusCode, ...], state: str
) -> None:
    clock = FakeClock()
    breaker = _opened(clock, half_open_calls=4)
    clock.advance(10)
    permits = _admit(breaker, 4)

    for permit, code in zip(permits[:-1], outcomes[:-1], strict=True):
        breaker.settle(permit, code)
    undecided = breaker.state(KEY)
    breaker.settle(permits[-1], outcomes[-1])

    assert undecided == "half_open"
    assert breaker.state(KEY) == state


def test_a_reopened_circuit_waits_a_whole_reset_timeout_again() -> None:
    clock = FakeClock()
    breaker = _opened(clock, half_open_calls=1, reset_timeout=10.0)
    clock.advance(25)

    _calls(breaker, UNAVAILABLE)

    assert breaker.state(KEY) == "open"
    assert breaker.retry_in(KEY) == 10.0


def test_a_closed_circuit_starts_again_with_an_empty_window() -> None:
    clock = FakeClock()
    breaker = _opened(clock, half_open_calls=1)
    clock.advance(10)
    _calls(breaker, OK)

    _calls(breaker, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE)

    assert breaker.state(KEY) == "closed"


def test_a_trial_settled_without_an_outcome_frees_its_place_for_another() -> None:
    """The stuck probe: a cancelled trial call must not leave the circuit waiting forever."""
    clock = FakeClock()
    breaker = _opened(clock, half_open_calls=1)
    clock.advance(10)
    (cancelled,) = _admit(breaker, 1)
    refused_meanwhile = breaker.admit(KEY)

    breaker.settle(cancelled, None)
    _calls(breaker, OK)

    assert refused_meanwhile is None
    assert breaker.state(KEY) == "closed"


def test_outcomes_of_calls_admitted_before_a_transition_are_dropped() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, half_open_calls=2)
    late_success, late_abandoned = _admit(breaker, 2)
    _calls(breaker, *[UNAVAILABLE] * 4)
    clock.advance(10)
    trials = _admit(breaker, 2)

    breaker.settle(late_success, OK)  # counted while half-open, it would close the circuit
    breaker.settle(late_abandoned, None)  # counted, it would free a third trial's place
    third = breaker.admit(KEY)
    still = breaker.state(KEY)
    for trial in trials:
        breaker.settle(trial, UNAVAILABLE)

    assert third is None
    assert still == "half_open"
    assert breaker.state(KEY) == "open"


def test_the_closed_path_hands_out_one_shared_permit() -> None:
    breaker = _breaker()

    assert breaker.admit(KEY) is breaker.admit(KEY)


def test_circuits_of_different_keys_are_apart() -> None:
    breaker = _breaker()

    _calls(breaker, *[UNAVAILABLE] * 4)

    assert breaker.state(KEY) == "open"
    assert breaker.state("other:50051") == "closed"
    assert breaker.admit("other:50051") is not None


def test_a_reset_closes_every_circuit_and_drops_what_was_admitted_before() -> None:
    breaker = _opened(FakeClock())
    before = breaker.admit("other:50051")
    assert before is not None

    breaker.reset()
    breaker.settle(before, UNAVAILABLE)

    assert breaker.state(KEY) == "closed"
    assert breaker.retry_in(KEY) == 0.0
    _calls(breaker, UNAVAILABLE, UNAVAILABLE, OK)  # admitted again, into a window of their own
    assert (breaker.state(KEY), breaker.worst_state()) == ("closed", "closed")


class SwitchingClock(FakeClock):
    """A fake clock that lets other threads run each time it is read, so races show up."""

    def now(self) -> float:
        time.sleep(0)
        return super().now()


def _together(threads: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(threads)

    def run(index: int) -> None:
        start.wait()
        work(index)

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_threads_hammering_a_closed_circuit_lose_no_outcome() -> None:
    # 399 outcomes, 200 failures: still below minimum_calls (400) only if none was lost or doubled.
    breaker = _breaker(minimum_calls=400, window_size=400)
    codes = [UNAVAILABLE] * 200 + [OK] * 199

    _together(7, lambda index: _calls(breaker, *codes[index::7]))
    closed = breaker.state(KEY)
    _calls(breaker, OK)

    assert closed == "closed"
    assert breaker.state(KEY) == "open"  # exactly 200 of 400: the threshold


def _race_for_trials(breaker: CircuitBreaker, threads: int) -> list[CircuitPermit]:
    """Every thread asks for a place at once; then the winners abandon their calls at once."""
    answers: list[CircuitPermit | None] = []
    _together(threads, lambda _: answers.append(breaker.admit(KEY)))
    granted = [permit for permit in answers if permit is not None]
    _together(len(granted), lambda index: breaker.settle(granted[index], None))
    return granted


def test_threads_racing_for_trial_places_get_exactly_half_open_calls_of_them() -> None:
    clock = SwitchingClock()
    breaker = _opened(clock, half_open_calls=5)
    clock.advance(10)

    rounds = [len(_race_for_trials(breaker, 16)) for _ in range(3)]

    assert rounds == [5, 5, 5]
    assert breaker.state(KEY) == "half_open"


def _client(
    server: RunningServer,
    clock: FakeClock,
    policy: CircuitBreakerPolicy = POLICY,
    retry: RetryPolicy | None = None,
) -> GrpcClient:
    return GrpcClient(
        server.target,
        circuit_breaker=policy,
        retry=retry or RetryPolicy.disabled(),
        clock=clock,
        channel_registry=ChannelRegistry(linger=0),
    )


async def test_a_failure_rate_at_the_threshold_opens_the_circuit_and_calls_stop_reaching_the_server(
    server: RunningServer, invoke: Invoke
) -> None:
    with _client(server, FakeClock()) as client:
        for user_id in ("1", "always-UNAVAILABLE", "2", "always-UNAVAILABLE"):
            await invoke(client, ScriptedRequest(user_id))
        refused = await invoke(client, ScriptedRequest("3"))

    assert refused.status_code() is grpc.StatusCode.UNAVAILABLE
    assert refused.details().startswith(f"circuit open for {server.target}")
    assert refused.attempts() == 0
    assert len(server.service.received) == 4


async def test_after_the_cool_down_successful_trial_calls_close_the_circuit(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client:
        for _ in range(4):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        clock.advance(9.9)
        still_open = await invoke(client, ScriptedRequest("1"))
        clock.advance(0.1)
        trials = [await invoke(client, ScriptedRequest(user_id)) for user_id in ("1", "2")]
        after = [await invoke(client, ScriptedRequest("always-UNAVAILABLE")) for _ in range(3)]

    assert still_open.attempts() == 0
    assert "next probe in 0.1 s" in still_open.details()
    assert all(trial.is_success() for trial in trials)
    assert [response.attempts() for response in after] == [1, 1, 1]  # a fresh window


async def test_failing_trial_calls_open_the_circuit_for_another_cool_down(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client:
        for _ in range(4):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        clock.advance(10)
        for user_id in ("1", "always-UNAVAILABLE"):
            await invoke(client, ScriptedRequest(user_id))
        refused = await invoke(client, ScriptedRequest("1"))

    assert refused.attempts() == 0
    assert "next probe in 10.0 s" in refused.details()
    assert len(server.service.received) == 6


async def test_answers_from_a_healthy_server_do_not_count_as_failures(
    server: RunningServer, invoke: Invoke
) -> None:
    with _client(server, FakeClock()) as client:
        for user_id in ("404", "404", "always-UNAVAILABLE", "404"):
            await invoke(client, ScriptedRequest(user_id))
        response = await invoke(client, ScriptedRequest("1"))

    assert response.is_success()


async def test_with_method_scope_one_failing_method_leaves_the_others_alone(
    server: RunningServer, invoke: Invoke
) -> None:
    per_method = CircuitBreakerPolicy(minimum_calls=2, window_size=2, scope="method")
    create = ScriptedRequest(method="CreateUser", message=user_pb2.CreateUserRequest(name="ana"))
    with _client(server, FakeClock(), per_method) as client:
        for _ in range(2):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        refused = await invoke(client, ScriptedRequest("1"))
        other_method = await invoke(client, create)

    assert refused.attempts() == 0
    assert refused.details().startswith(
        f"circuit open for {server.target}/user.UserService/GetUser"
    )
    assert other_method.is_success()


async def test_a_cancelled_trial_call_does_not_leave_the_circuit_stuck(
    server: RunningServer, invoke: Invoke
) -> None:
    """Issue 8, item 2: a trial call cut short by ``asyncio.wait_for`` once blocked every call.

    A blocking ``call`` cannot be cancelled: on the sync run the slow trial
    ends with DEADLINE_EXCEEDED, opening the circuit for one more cool-down.
    """
    clock = FakeClock()
    one_trial = CircuitBreakerPolicy(minimum_calls=2, window_size=2, half_open_calls=1)
    with _client(server, clock, one_trial) as client:
        for _ in range(2):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        clock.advance(10)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(invoke(client, ScriptedRequest("slow", timeout=0.5)), 0.2)
        clock.advance(10)
        trial = await invoke(client, ScriptedRequest("1"))
        after = await invoke(client, ScriptedRequest("2"))

    assert trial.is_success()
    assert after.is_success()


async def test_the_breaker_hears_one_outcome_per_call_not_per_attempt(
    server: RunningServer, invoke: Invoke
) -> None:
    """Calls that fail twice and then succeed are successes: retries never trip the circuit."""
    retry = RetryPolicy(max_attempts=3, jitter=0.0)
    breaker = CircuitBreakerPolicy(minimum_calls=4, window_size=4)
    with _client(server, FakeClock(), breaker, retry=retry) as client:
        responses = [
            await invoke(client, ScriptedRequest(f"fail-2-UNAVAILABLE-{n}", idempotent=True))
            for n in range(6)
        ]

    assert [r.attempts() for r in responses] == [3] * 6
    assert all(r.is_success() for r in responses)
    assert len(server.service.received) == 18


async def test_calls_that_fail_before_leaving_the_client_are_not_counted(
    invoke: Invoke,
) -> None:
    """A server that cannot be reached (grpc's reconnect backoff) adds no load: no verdict."""
    breaker = CircuitBreakerPolicy(minimum_calls=2, window_size=2)
    with GrpcClient(
        "127.0.0.1:1", circuit_breaker=breaker, retry=RetryPolicy.disabled()
    ) as unreachable:
        responses = [await invoke(unreachable, ScriptedRequest("1")) for _ in range(6)]

    assert [r.attempts() for r in responses] == [1] * 6
    assert not any(r.details().startswith("circuit open") for r in responses)


def test_clients_with_the_same_settings_share_one_breaker(server: RunningServer) -> None:
    clock, registry = FakeClock(), ChannelRegistry(linger=0)
    settings = {"circuit_breaker": POLICY, "retry": RetryPolicy.disabled(), "clock": clock}
    with (
        GrpcClient(server.target, channel_registry=registry, **settings) as first,  # type: ignore[arg-type]
        GrpcClient(server.target, channel_registry=registry, **settings) as second,  # type: ignore[arg-type]
    ):
        for _ in range(4):
            first.call(ScriptedRequest("always-UNAVAILABLE"))

        assert second.call(ScriptedRequest("1")).attempts() == 0


def test_a_disabled_breaker_never_refuses(server: RunningServer) -> None:
    with _client(server, FakeClock(), CircuitBreakerPolicy.disabled()) as client:
        responses = [client.call(ScriptedRequest("always-UNAVAILABLE")) for _ in range(10)]

    assert all(response.attempts() == 1 for response in responses)
