"""Resilience mechanics: the clock, bulkhead, circuit breaker and retry backoff."""

import asyncio
import math
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import grpc
from tenacity import RetryAction, RetryCallState, Retrying, stop_after_attempt

from grpc_request_client.errors import InvalidGrpcClientSettings
from grpc_request_client.lifecycle import AfterFork
from grpc_request_client.policies import BulkheadPolicy, CircuitBreakerPolicy, RetryPolicy
from grpc_request_client.response import GrpcResponse


class Clock(ABC):
    """Time as the resilience machinery sees it: a monotonic now, and ways to wait.

    A port so tests can hand in a clock whose sleeps return at once and whose
    time moves only when told: retry and circuit-breaker tests then take
    microseconds and assert exact timings without flakiness.

    The naming rule for the library's sync/async pairs, here as everywhere:
    ``X`` blocks, ``X_async`` awaits (``call``/``call_async``,
    ``send``/``send_async``); ``aclose`` keeps Python's own name
    (``contextlib.aclosing``); objects of grpc's two APIs are named after its
    modules, ``sync`` and ``aio``.
    """

    @abstractmethod
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences mean anything."""

    @abstractmethod
    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""

    @abstractmethod
    async def sleep_async(self, seconds: float) -> None:
        """Await ``seconds`` without blocking the event loop."""


_ASYNC_POLL_SECONDS = 0.005


class Bulkhead:
    """Counts a client's calls in flight, across threads and event loops alike.

    One counter under one lock serves ``call`` and ``call_async``, so the
    limit holds whatever mix of the two a service uses. The lock is taken
    directly on the hot path (a ``Condition``'s own ``with`` is Python code);
    its condition is notified only when a thread is waiting. A blocked thread waits
    on the condition; a task polls with the clock's async sleep instead, because
    an asyncio primitive would tie the bulkhead to a single event loop and a
    thread-backed wait would leave a slot taken if the task were cancelled.

    A forked child starts with every slot free: the calls its parent had in
    flight belong to threads the child does not have, and would otherwise hold
    their slots for good.
    """

    def __init__(self, policy: BulkheadPolicy, clock: Clock) -> None:
        self._limit = policy.max_in_flight
        self._wait = policy.wait
        self._clock = clock
        self._empty()
        AfterFork.register(self, in_child=Bulkhead._empty)

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        """The calls holding a slot now (streams while open); read without the lock, as a gauge."""
        return self._in_flight

    @property
    def waits(self) -> bool:
        """Whether a call finding no free slot waits for one (within its deadline) or is refused."""
        return self._wait

    def enter(self, within: float) -> bool:
        """Take a slot, waiting up to ``within`` seconds for one; ``False`` if none came."""
        with self._lock:
            if self._in_flight >= self._limit and (
                not self._wait or not self._wait_for_room(within)
            ):
                return False
            self._in_flight += 1
            return True

    def try_enter(self) -> bool:
        """Take a slot if one is free, never waiting: the async path's fast lane."""
        with self._lock:
            if self._in_flight >= self._limit:
                return False
            self._in_flight += 1
            return True

    async def enter_async(self, within: float) -> bool:
        """``enter`` for a task: polls, so a cancelled wait never holds a slot."""
        deadline = self._clock.now() + within
        while not self.try_enter():
            remaining = deadline - self._clock.now()
            if not self._wait or remaining <= 0:
                return False
            await self._clock.sleep_async(min(_ASYNC_POLL_SECONDS, remaining))
        return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._waiting:
                self._free.notify()

    def _wait_for_room(self, within: float) -> bool:
        """Wait, holding the lock as a condition does, until a slot frees or time runs out."""
        self._waiting += 1
        try:
            return self._free.wait_for(self._has_room, within)
        finally:
            self._waiting -= 1

    def _empty(self) -> None:
        """A fresh count and lock: at construction, and in a forked child."""
        self._in_flight = 0
        self._waiting = 0
        self._lock = threading.Lock()
        self._free = threading.Condition(self._lock)

    def _has_room(self) -> bool:
        return self._in_flight < self._limit


@dataclass(frozen=True, slots=True)
class CircuitPermit:
    """Leave to make one call, handed out by ``CircuitBreaker.admit`` and handed back to ``settle``.

    ``key`` is the circuit that admitted the call; ``generation`` is the
    circuit's state at that moment (it moves on at every transition), so an
    outcome that arrives after the circuit changed state is recognised as
    stale and dropped. A circuit shares one permit among all the calls of a
    generation, which keeps the closed path free of allocations; a permit
    therefore says nothing about which call holds it, and each call must
    settle it exactly once.
    """

    key: str
    generation: int


CircuitState = Literal["closed", "open", "half_open"]
_OK = grpc.StatusCode.OK


class Circuit:
    """One key's breaker: a failure-rate window while closed, a cool-down, then trial calls.

    Generations: every transition starts a new generation with its own shared
    permit, and ``settle`` drops an outcome whose permit is of another
    generation. So a call admitted while closed that ends after the circuit
    opened, or a trial call that ends after its half-open state was decided,
    counts nowhere, and the half-open accounting only ever sees its own trial
    calls. (resilience4j's ``CircuitBreakerStateMachine`` instead records late
    outcomes into whatever state is current.)

    A half-open circuit lets ``half_open_calls`` trial calls through. An
    outcome of ``None`` (the call was abandoned, or never reached a server)
    gives its slot back, as resilience4j's ``releasePermission`` does for an
    ignored error, so a cancelled trial can never leave the circuit waiting
    for an outcome that will not come.

    While closed, the outcomes of the last ``window_size`` calls are a ring of
    bytes with running totals, O(1) a call, as resilience4j's
    ``FixedSizeSlidingWindowMetrics``: recording into a full window drops the
    oldest. Half-open trials are only counted: the circuit decides as soon as
    ``half_open_calls`` of them are in, before any would need dropping.

    One lock guards every change. ``admit`` on a closed circuit reads one
    attribute without it: the worst a race can do is hand out a permit of the
    generation that just ended, whose outcome is then dropped.
    """

    def __init__(self, key: str, policy: CircuitBreakerPolicy, clock: Clock) -> None:
        self._key = key
        self._policy = policy
        self._clock = clock
        self._failure_codes = policy.failure_codes
        self._minimum_calls = min(policy.minimum_calls, policy.window_size)
        self._lock = threading.Lock()
        self._window = bytearray(policy.window_size)  # 1 for a failed call
        self._next = self._count = self._failures = 0
        self._trials = self._trial_failures = self._trials_admitted = 0
        self._state: CircuitState = "closed"
        self._opened_at = 0.0
        self._generation = 0
        self._permit = CircuitPermit(key, 0)
        self._closed_permit: CircuitPermit | None = self._permit

    def admit(self) -> CircuitPermit | None:
        closed_permit = self._closed_permit
        if closed_permit is not None:
            return closed_permit
        with self._lock:
            if self._state == "open" and self._cooled_down():
                self._enter("half_open")
            if self._state == "closed":
                return self._permit
            if self._state == "open" or self._trials_admitted == self._policy.half_open_calls:
                return None
            self._trials_admitted += 1
            return self._permit

    def settle(self, permit: CircuitPermit, code: grpc.StatusCode | None) -> None:
        with self._lock:
            if permit.generation != self._generation:
                return
            if self._state == "closed" and code is not None:
                self._record(self._failed(code))
            elif self._state == "half_open":
                self._settle_trial(code)

    def retry_in(self) -> float:
        with self._lock:
            if self._state != "open":
                return 0.0
            return max(0.0, self._opened_at + self._policy.reset_timeout - self._clock.now())

    def state(self) -> CircuitState:
        """The state the next call meets: an open circuit past its cool-down is half-open."""
        with self._lock:
            if self._state == "open" and self._cooled_down():
                return "half_open"
            return self._state

    def _record(self, failed: bool) -> None:
        window = self._window
        if self._count == len(window):
            self._failures -= window[self._next]
        else:
            self._count += 1
        window[self._next] = failed
        self._failures += failed
        self._next = (self._next + 1) % len(window)
        if self._reaches(self._failures, self._count, self._minimum_calls):
            self._enter("open")

    def _reaches(self, failures: int, count: int, minimum: int) -> bool:
        """At least ``minimum`` outcomes in, of which the threshold percent or more failed."""
        return count >= minimum and failures * 100 >= self._policy.failure_rate_threshold * count

    def _settle_trial(self, code: grpc.StatusCode | None) -> None:
        if code is None:
            self._trials_admitted -= 1
            return
        self._trials += 1
        self._trial_failures += self._failed(code)
        calls = self._policy.half_open_calls
        if self._trials == calls:
            failing = self._reaches(self._trial_failures, calls, calls)
            self._enter("open" if failing else "closed")

    def _failed(self, code: grpc.StatusCode) -> bool:
        """OK first: it is never a failure code, and comparing by identity spares the Enum hash."""
        return code is not _OK and code in self._failure_codes

    def _cooled_down(self) -> bool:
        return self._clock.now() - self._opened_at >= self._policy.reset_timeout

    def _enter(self, state: CircuitState) -> None:
        self._state = state
        self._generation += 1
        self._permit = CircuitPermit(self._key, self._generation)
        self._closed_permit = self._permit if state == "closed" else None
        self._next = self._count = self._failures = 0
        self._trials = self._trial_failures = self._trials_admitted = 0
        if state == "open":
            self._opened_at = self._clock.now()


_WORST_FIRST: tuple[CircuitState, ...] = ("open", "half_open")


class CircuitBreaker:
    """A failure-rate circuit per key (a target, or a target's method): ``CircuitBreakerPolicy``.

    A call asks ``admit`` once before it goes out and hands the permit back to
    ``settle`` once with its final code, or ``None`` when there is nothing to
    count: the call was abandoned (cancelled, an exception, the client closed
    mid-call) or failed without reaching any server. Every method is
    thread-safe, and ``call`` and ``call_async`` share one breaker.

    Written here rather than taken from purgatory or pybreaker: both signal
    failure through exceptions, while a failed call here is a response; both
    keep sync and async state apart; neither takes an injectable clock; and
    neither has a failure-rate window.

    A forked child starts with every circuit closed: a probe its parent had in
    flight would never report back there, leaving its circuit open for good,
    and the child's own connections have not failed yet.
    """

    def __init__(self, policy: CircuitBreakerPolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock
        self._circuits: dict[str, Circuit] = {}
        self._lock = threading.Lock()
        AfterFork.register(self, in_child=CircuitBreaker._close_all)

    def _close_all(self) -> None:
        self._circuits = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every circuit: the next call to each key meets a closed one, as in a new breaker.

        A permit handed out before is settled into nothing, its circuit gone.
        """
        with self._lock:
            self._circuits = {}

    def admit(self, key: str) -> CircuitPermit | None:
        """A permit for one call; ``None`` when refused (open, or every trial place taken).

        The circuit is looked up here rather than through ``_circuit``: every call asks.
        """
        circuit = self._circuits.get(key)
        return (circuit or self._circuit(key)).admit()

    def settle(self, permit: CircuitPermit, code: grpc.StatusCode | None) -> None:
        """Count the call's final ``code``; ``None`` counts nothing and frees a trial's slot.

        Call it exactly once per ``admit`` that returned a permit. An outcome
        that arrives after the circuit changed state is dropped.
        """
        circuit = self._circuits.get(permit.key)
        if circuit is not None:  # gone only in a forked child, which starts afresh
            circuit.settle(permit, code)

    def retry_in(self, key: str) -> float:
        """Seconds until an open circuit lets trial calls through; 0.0 when it is not open."""
        circuit = self._circuits.get(key)
        return 0.0 if circuit is None else circuit.retry_in()

    def state(self, key: str) -> CircuitState:
        """``"closed"``, ``"open"`` or ``"half_open"``: what the next call to ``key`` meets."""
        circuit = self._circuits.get(key)
        return "closed" if circuit is None else circuit.state()

    def worst_state(self) -> CircuitState:
        """``"open"`` if any circuit is, else ``"half_open"`` if any is, else ``"closed"``.

        One state for the whole breaker, as a gauge shows it: with ``scope="target"``
        there is one circuit, so it is that circuit's; with ``scope="method"``, the
        worst of the methods' (a target some of whose calls are refused is not
        healthy). No circuit yet (no call made) is closed.
        """
        with self._lock:
            circuits = list(self._circuits.values())
        states = {circuit.state() for circuit in circuits}
        return next((state for state in _WORST_FIRST if state in states), "closed")

    def _circuit(self, key: str) -> Circuit:
        circuit = self._circuits.get(key)
        if circuit is not None:
            return circuit
        with self._lock:
            return self._circuits.setdefault(key, Circuit(key, self._policy, self._clock))


class Rejection:
    """Answers for calls refused before reaching the network: zero attempts, said plainly.

    UNAVAILABLE for an open circuit, since callers already treat that code as
    "try later"; RESOURCE_EXHAUSTED for a full bulkhead, as a server would
    answer when overloaded.
    """

    @staticmethod
    def circuit_open(key: str, retry_in: float) -> GrpcResponse:
        return GrpcResponse(
            grpc.StatusCode.UNAVAILABLE,
            details=f"circuit open for {key}: not called; next probe in {retry_in:.1f} s",
            attempts=0,
        )

    @staticmethod
    def bulkhead_full(target: str, limit: int) -> GrpcResponse:
        return GrpcResponse(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            details=f"bulkhead full: {limit} calls already in flight to {target}",
            attempts=0,
        )

    @staticmethod
    def deadline_spent(target: str, timeout: float) -> GrpcResponse:
        """No time was left to send the call: a bulkhead wait spent it, or it was under 1 ms."""
        return GrpcResponse(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            details=f"deadline of {timeout:g} s to {target} passed before the call could be "
            "sent (waiting for a bulkhead slot, or a timeout under 1 ms); not sent",
            attempts=0,
        )


class RetryBackoff:
    """One call's tenacity ``RetryCallState``, and the waits its strategy draws from it.

    Made when a call's first attempt fails; ``after(number, response, now)``
    records attempt ``number``'s outcome as tenacity does (``attempt_number``,
    ``outcome``: a future holding the ``GrpcResponse``, ``outcome_timestamp``),
    then asks the policy's strategy (``RetryPolicy.strategy()``) for the wait.
    ``slept(seconds)`` adds a wait taken to ``idle_for`` and ``next_action``.
    Times are the client's ``Clock`` (seconds; ``start_time`` is when the call
    began), so ``seconds_since_start`` reads as in tenacity. ``retry_object``
    is a ``Retrying`` with the strategy and ``stop_after_attempt(max_attempts)``;
    only the strategy is run: whether to retry at all, and whether the wait
    still fits before the deadline, are decided by ``CallEngine``, once for
    ``call`` and ``call_async``.
    """

    __slots__ = ("_policy", "_started", "_state")

    def __init__(self, policy: RetryPolicy, started: float) -> None:
        self._policy = policy
        self._started = started
        self._state: RetryCallState | None = (
            None  # made when first asked: most failures are not retried
        )

    def after(self, number: int, response: GrpcResponse, now: float) -> float:
        """Seconds to wait after attempt ``number`` ended with ``response`` at ``now``.

        Raises ``InvalidGrpcClientSettings`` naming the strategy when it gives
        anything but a finite number of seconds >= 0.
        """
        state = self._state or self._new_state()
        state.attempt_number = number
        state.set_result(response)
        state.outcome_timestamp = now
        strategy = state.retry_object.wait
        seconds = strategy(state)
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not (0 <= seconds < math.inf)
        ):
            raise InvalidGrpcClientSettings(
                f"retry wait {self._policy.wait or strategy!r} gave {seconds!r} after "
                f"attempt {number}: a wait must be a finite number of seconds >= 0"
            )
        return float(seconds)

    def slept(self, seconds: float) -> None:
        """The call waits ``seconds`` before its next attempt."""
        if self._state is not None:
            self._state.upcoming_sleep = seconds
            self._state.next_action = RetryAction(seconds)
            self._state.idle_for += seconds

    def _new_state(self) -> RetryCallState:
        owner = Retrying(
            wait=self._policy.strategy(),
            stop=stop_after_attempt(self._policy.max_attempts),
            reraise=True,
        )
        state = self._state = RetryCallState(owner, None, (), {})
        state.start_time = self._started
        return state


class SystemClock(Clock):
    """The real clock: ``time.monotonic``, so a wall-clock jump never opens a breaker.

    ``now`` is ``time.monotonic`` itself rather than a method calling it: every
    call reads the clock at least twice, and this way no Python frame runs for it.
    """

    now = staticmethod(time.monotonic)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def sleep_async(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
