from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind


class Telemetry:
    """A real OpenTelemetry SDK of a test's own: spans kept in memory, metrics read on demand.

    ``tracer_provider`` and ``meter_provider`` are handed to the stage or
    interceptor under test, never set globally, so tests cannot see each
    other's spans. ``spans(kind)`` are the finished spans, oldest first;
    ``points(name)`` the histogram points of metric ``name``; ``metric(name)``
    the metric itself (its unit, its description).
    """

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.tracer = self.tracer_provider.get_tracer("tests")

    def spans(self, kind: SpanKind | None = None) -> list[ReadableSpan]:
        return [
            span for span in self.exporter.get_finished_spans() if kind is None or span.kind is kind
        ]

    def span(self, kind: SpanKind, wait: float = 5.0) -> ReadableSpan:
        """The one finished span of ``kind``; fails if there is not exactly one.

        Waits up to ``wait`` seconds for it: a server's span ends after the
        client has its answer (grpc sends the status before the handler's
        wrapper returns).
        """
        (found,) = self.wait_for(kind, 1, wait)
        return found

    def wait_for(self, kind: SpanKind, count: int, wait: float = 5.0) -> list[ReadableSpan]:
        """The finished spans of ``kind``, once there are ``count`` (or ``wait`` seconds passed)."""
        deadline = time.monotonic() + wait
        while len(self.spans(kind)) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.spans(kind)

    def metric(self, name: str) -> Any:
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        return metric
        return None

    def points(self, name: str) -> list[HistogramDataPoint]:
        metric = self.metric(name)
        return [] if metric is None else list(metric.data.data_points)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()

    @staticmethod
    def attributes(span: ReadableSpan) -> Mapping[str, Any]:
        return dict(span.attributes or {})
