"""The one OpenTelemetry SDK setup both sides of the tracing rows report to.

Imported only by those rows, so the rest of the benchmark never loads the SDK.
Spans go through a ``SimpleSpanProcessor`` to an exporter that drops them:
the processor works on the thread that ended the span, so each span is paid
for inside the very batch that made it, and a round of one side never
carries the other's spans, as a ``BatchSpanProcessor``'s worker thread,
waking every few seconds, would have them land in whichever round was
running. Dropping rather than exporting keeps the cost to what the
instrumentation itself does, the same for both sides; serializing and
sending spans would only add a cost both share and dilute the ratio.

Metrics: opentelemetry-instrumentation-grpc records none, our stage records
``rpc.client.call.duration``. ``meters()`` is an SDK ``MeterProvider`` with
a reader that is never collected, so every call pays for aggregating its
measurement (and for the exemplar the default trace-based filter keeps) as
in production, while collecting, which a periodic reader does once a
minute, is left out. ``no_meters()`` is the API's no-op provider: what an
application that configured only tracing gets, and the fair match for the
raw side, which has no metrics to pay for.
"""

from collections.abc import Sequence

from opentelemetry.metrics import MeterProvider, NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult


class DroppingSpanExporter(SpanExporter):
    """Accepts every span and keeps none; counts them, so a row can tell spans were made."""

    def __init__(self) -> None:
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exported += len(spans)
        return SpanExportResult.SUCCESS


def tracer_provider(exporter: DroppingSpanExporter) -> TracerProvider:
    """The SDK's default sampler (parent-based, always on): every call makes a sampled span."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def meters() -> tuple[SdkMeterProvider, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return SdkMeterProvider(metric_readers=[reader]), reader


def no_meters() -> MeterProvider:
    return NoOpMeterProvider()


def recorded(reader: InMemoryMetricReader, name: str) -> int:
    """Measurements the reader's provider aggregated so far into histogram ``name``."""
    data = reader.get_metrics_data()
    if data is None:
        return 0
    return sum(
        point.count
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    )
