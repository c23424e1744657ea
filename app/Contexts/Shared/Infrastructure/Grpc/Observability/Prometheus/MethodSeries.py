from __future__ import annotations

import grpc
from prometheus_client import Counter, Histogram

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcCodeLabel import (
    GrpcCodeLabel,
)


class MethodSeries:
    """One method's series of a ``GrpcMetricSet``: its label values bound once, not per call.

    ``labels`` is ``(grpc_type, grpc_service, grpc_method)``. ``started``,
    ``msg_received``, ``msg_sent`` and ``handling_seconds`` are the method's
    children of those metrics; ``handled(code)`` its ``grpc_handled_total``
    child for a status code (``grpc_code`` in Go's spelling), made the first
    time that code is seen. Binding labels costs prometheus-client a lock and
    a tuple of strings, so a call only looks its method's series up.
    """

    __slots__ = (
        "_by_code",
        "_handled",
        "handling_seconds",
        "labels",
        "msg_received",
        "msg_sent",
        "started",
    )

    def __init__(
        self,
        labels: tuple[str, str, str],
        *,
        started: Counter,
        handled: Counter,
        msg_received: Counter,
        msg_sent: Counter,
        handling_seconds: Histogram,
    ) -> None:
        self.labels = labels
        self.started = started.labels(*labels)
        self.msg_received = msg_received.labels(*labels)
        self.msg_sent = msg_sent.labels(*labels)
        self.handling_seconds = handling_seconds.labels(*labels)
        self._handled = handled
        self._by_code: dict[grpc.StatusCode, Counter] = {}

    def handled(self, code: grpc.StatusCode) -> Counter:
        """The method's ``grpc_*_handled_total`` child for ``code``."""
        child = self._by_code.get(code)
        if child is None:  # two threads may both bind it: prometheus-client hands both one child
            child = self._by_code[code] = self._handled.labels(*self.labels, GrpcCodeLabel.of(code))
        return child

    def ended(self, code: grpc.StatusCode, seconds: float) -> None:
        """A call of the method ended with ``code`` after ``seconds``: handled, and its latency."""
        self.handled(code).inc()
        self.handling_seconds.observe(seconds)
