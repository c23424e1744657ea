from __future__ import annotations

from time import perf_counter
from typing import Any

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MethodSeries import (
    MethodSeries,
)


class MeasuredCall:
    """One server call in its method's ``grpc_server_*`` series: a ``HandlerCall``.

    Made when the call's behaviour is entered, which counts it started;
    ``ended`` counts it handled with its code and observes the seconds since.
    Its steps need nothing around them.
    """

    __slots__ = ("_began", "_series")

    def __init__(self, series: MethodSeries) -> None:
        series.started.inc()
        self._series = series
        self._began = perf_counter()

    def enter(self) -> None:
        """Nothing to do around a step: counting needs no context."""

    def leave(self, token: Any) -> None:
        """Nothing to undo."""

    def ended(self, code: grpc.StatusCode) -> None:
        """Count the call handled with ``code``, and observe its seconds."""
        self._series.ended(code, perf_counter() - self._began)
