import threading
from typing import Literal

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitPermit import CircuitPermit
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.OutcomeWindow import OutcomeWindow

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
        self._window = OutcomeWindow(policy.window_size)
        self._trials = OutcomeWindow(policy.half_open_calls)
        self._trials_admitted = 0
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
        self._window.record(failed)
        if self._window.reaches(self._policy.failure_rate_threshold, self._minimum_calls):
            self._enter("open")

    def _settle_trial(self, code: grpc.StatusCode | None) -> None:
        if code is None:
            self._trials_admitted -= 1
            return
        self._trials.record(self._failed(code))
        calls = self._policy.half_open_calls
        if self._trials.count == calls:
            failing = self._trials.reaches(self._policy.failure_rate_threshold, calls)
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
        self._window.clear()
        self._trials.clear()
        self._trials_admitted = 0
        if state == "open":
            self._opened_at = self._clock.now()
