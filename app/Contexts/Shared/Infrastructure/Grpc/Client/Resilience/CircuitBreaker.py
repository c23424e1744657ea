import threading
from dataclasses import dataclass

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    """Closed → open after N consecutive transport failures → half-open after a cool-down.

    While open, ``allow`` says no at once so callers get an answer without
    touching the network. After ``reset_timeout`` one probe is let through
    (half-open); its outcome closes the circuit or opens it for another
    cool-down. One lock guards every change; a closed, quiet circuit is read
    without it, since the worst a race there can do is let one more call try
    a backend that has just failed.

    Written here rather than taken from purgatory or pybreaker: both signal
    failure through exceptions, while a failed call here is a response; both
    keep sync and async state apart, while ``call`` and ``call_async`` must
    trip the same circuit; neither takes an injectable clock.

    A forked child starts with every circuit closed: a probe its parent had in
    flight would never report back there, leaving its circuit open for good,
    and the child's own connections have not failed yet.
    """

    def __init__(self, policy: CircuitBreakerPolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()
        AfterFork.register(self, in_child=CircuitBreaker._close_all)

    def _close_all(self) -> None:
        self._circuits = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        quiet = self._circuits.get(key)
        if quiet is None or quiet.opened_at is None:
            return True
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None or circuit.opened_at is None:
                return True
            if (
                circuit.probing
                or self._clock.now() - circuit.opened_at < self._policy.reset_timeout
            ):
                return False
            circuit.probing = True
            return True

    def record(self, key: str, code: grpc.StatusCode) -> None:
        failed = code in self._policy.failure_codes
        if not failed:
            quiet = self._circuits.get(key)
            if quiet is None or (quiet.failures == 0 and quiet.opened_at is None):
                return
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None:
                if not failed:
                    return
                circuit = self._circuits[key] = _Circuit()
            if not failed:
                circuit.failures, circuit.opened_at, circuit.probing = 0, None, False
                return
            circuit.failures += 1
            if circuit.probing or circuit.failures >= self._policy.failure_threshold:
                circuit.opened_at, circuit.probing = self._clock.now(), False

    def retry_in(self, key: str) -> float:
        """Seconds until the next probe may go, for the message of a rejected call."""
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None or circuit.opened_at is None:
                return 0.0
            waited = self._clock.now() - circuit.opened_at
            return max(0.0, self._policy.reset_timeout - waited)
