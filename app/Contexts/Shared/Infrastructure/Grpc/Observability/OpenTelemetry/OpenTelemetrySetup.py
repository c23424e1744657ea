from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import cast

from opentelemetry import metrics, trace
from opentelemetry.propagators.textmap import TextMapPropagator

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.InvalidOpenTelemetrySetup import (
    InvalidOpenTelemetrySetup,
)

# The instrumentation scope: this library, by its distribution name and version.
SCOPE = "grpc-request-client"
try:
    _VERSION: str | None = version(SCOPE)
except PackageNotFoundError:  # run from a checkout that was never installed
    _VERSION = None


class OpenTelemetrySetup:
    """The providers a stage or an interceptor was given, checked; the global ones otherwise.

    Raises ``InvalidOpenTelemetrySetup`` for a ``tracer_provider`` that is not
    a ``TracerProvider``, a ``meter_provider`` that is not a ``MeterProvider``
    or a ``propagator`` that is not a ``TextMapPropagator``. The tracer and
    meter are named after this library (its instrumentation scope); made from
    the global providers, they follow a provider configured later.
    """

    def __init__(
        self,
        tracer_provider: object = None,
        meter_provider: object = None,
        propagator: object = None,
    ) -> None:
        _check(tracer_provider, trace.TracerProvider, "tracer_provider")
        _check(meter_provider, metrics.MeterProvider, "meter_provider")
        _check(propagator, TextMapPropagator, "propagator")
        self._tracer_provider = cast("trace.TracerProvider | None", tracer_provider)
        self._meter_provider = cast("metrics.MeterProvider | None", meter_provider)

    def tracer(self) -> trace.Tracer:
        return trace.get_tracer(SCOPE, _VERSION, self._tracer_provider)

    def meter(self) -> metrics.Meter:
        return metrics.get_meter(SCOPE, _VERSION or "", self._meter_provider)


def _check(value: object, kind: type, name: str) -> None:
    if value is not None and not isinstance(value, kind):
        raise InvalidOpenTelemetrySetup(
            f"{name} must be an {kind.__module__}.{kind.__qualname__} or None, "
            f"got {type(value).__qualname__}"
        )
