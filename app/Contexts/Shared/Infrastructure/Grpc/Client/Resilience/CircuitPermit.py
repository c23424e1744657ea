from dataclasses import dataclass


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
