import threading

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Circuit import Circuit, CircuitState
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitPermit import CircuitPermit
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

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
