from collections.abc import Callable

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Bulkhead import Bulkhead
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Circuit import CircuitState
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitBreaker import CircuitBreaker


class GrpcClientView:
    """What a stage may read of the client it serves: its target and its resilience, now.

    Handed to ``GrpcCallStage.attached`` once, when a client is built with the
    stage, so a stage can report the client's state between calls (a metrics
    stage's gauges) without holding the client itself. Read-only, and every
    read is of the moment: nothing is cached. Safe from any thread.

    The client keeps its view for as long as it lives; a stage that keeps one
    should keep it weakly (``weakref.ref``), so a client dropped without
    ``close()`` is not kept alive by its metrics, and skip it once ``closed``.
    """

    __slots__ = ("__weakref__", "_breaker", "_bulkhead", "_closed_error", "target")

    def __init__(
        self,
        target: str,
        bulkhead: Bulkhead,
        breaker: CircuitBreaker | None,
        closed_error: Callable[[], GrpcClientClosed | None],
    ) -> None:
        self.target = target
        self._bulkhead = bulkhead
        self._breaker = breaker
        self._closed_error = closed_error

    @property
    def closed(self) -> bool:
        """Whether the client was closed: it refuses calls, and stays closed."""
        return self._closed_error() is not None

    def breaker_state(self) -> CircuitState | None:
        """``"closed"``, ``"open"`` or ``"half_open"``; ``None`` when the breaker is disabled.

        The state the client's next call meets (an open circuit past its
        cool-down is already half-open). With ``scope="method"`` the worst of
        its methods' circuits: open if any is, else half-open if any is. The
        breaker is shared by the clients with equal settings, so they all read
        the same state.
        """
        return None if self._breaker is None else self._breaker.worst_state()

    def bulkhead_in_flight(self) -> int:
        """The client's calls holding a bulkhead slot now, an open stream among them.

        Every client has a bulkhead (``BulkheadPolicy``, 1000 calls unless
        set), of its own: it counts this client's calls only.
        """
        return self._bulkhead.in_flight

    def __repr__(self) -> str:
        return f"<GrpcClientView {self.target}{' closed' if self.closed else ''}>"
