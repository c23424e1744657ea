import threading
from typing import Literal

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitPermit import CircuitPermit
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock

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
