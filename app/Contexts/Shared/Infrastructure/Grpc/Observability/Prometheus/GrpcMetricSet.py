from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from prometheus_client import Counter, Histogram
from prometheus_client.metrics_core import Metric

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MethodSeries import (
    MethodSeries,
)

Side = Literal["client", "server"]
# Go's prometheus.DefBuckets, go-grpc-middleware's default: seconds. prometheus-client's own
# default adds .075, .75 and 7.5, which would not line up with a Go service's histograms.
GO_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("grpc_type", "grpc_service", "grpc_method")
# The help texts of go-grpc-middleware's providers/prometheus (client_metrics.go,
# client_options.go, server_metrics.go), word for word: started, handled, received, sent, seconds.
_HELP = {
    "client": (
        "Total number of RPCs started on the client.",
        "Total number of RPCs completed by the client, regardless of success or failure.",
        "Total number of RPC stream messages received by the client.",
        "Total number of gRPC stream messages sent by the client.",
        "Histogram of response latency (seconds) of the gRPC until it is finished by the "
        "application.",
    ),
    "server": (
        "Total number of RPCs started on the server.",
        "Total number of RPCs completed on the server, regardless of success or failure.",
        "Total number of RPC stream messages received on the server.",
        "Total number of gRPC stream messages sent by the server.",
        "Histogram of response latency (seconds) of gRPC that had been application-level "
        "handled by the server.",
    ),
}


class GrpcMetricSet:
    """go-grpc-middleware's metrics for one side of gRPC calls, as one prometheus collector.

    The names, help texts, label keys and default buckets of go-grpc-middleware's
    ``providers/prometheus`` (the same names as the older go-grpc-prometheus),
    for ``side`` ``"client"`` or ``"server"``: ``grpc_{side}_started_total``,
    ``grpc_{side}_handled_total`` (with ``grpc_code``),
    ``grpc_{side}_msg_received_total``, ``grpc_{side}_msg_sent_total`` (counters)
    and ``grpc_{side}_handling_seconds`` (a histogram of seconds, over
    ``buckets``), each labelled ``grpc_type`` (``unary``, ``client_stream``,
    ``server_stream``, ``bidi_stream``), ``grpc_service`` (fully qualified) and
    ``grpc_method``. A ``namespace`` prefixes every name (``shop`` gives
    ``shop_grpc_client_started_total``), as Go's ``CounterOpts.Namespace`` does.

    Its metrics are registered as one collector, so a registry takes all of
    them or none; ``RegisteredMetricSets`` makes one per registry and
    namespace and shares it.
    """

    def __init__(self, side: Side, namespace: str, buckets: tuple[float, ...]) -> None:
        started, handled, received, sent, seconds = _HELP[side]
        self.buckets = buckets
        counter = self.counter
        self.started = counter(f"grpc_{side}_started_total", started, namespace)
        self.handled = counter(
            f"grpc_{side}_handled_total", handled, namespace, (*LABELS, "grpc_code")
        )
        self.msg_received = counter(f"grpc_{side}_msg_received_total", received, namespace)
        self.msg_sent = counter(f"grpc_{side}_msg_sent_total", sent, namespace)
        self.handling_seconds = Histogram(
            f"grpc_{side}_handling_seconds",
            seconds,
            LABELS,
            namespace=namespace,
            buckets=buckets,
            registry=None,
        )
        self._series: dict[str, MethodSeries] = {}

    @staticmethod
    def counter(
        name: str, documentation: str, namespace: str, labels: tuple[str, ...] = LABELS
    ) -> Counter:
        """A counter of this set's kind: labelled ``labels``, registered with the set, not alone."""
        return Counter(name, documentation, labels, namespace=namespace, registry=None)

    def series(self, path: str, kind: str) -> MethodSeries:
        """The series of the method at ``path`` (``/package.Service/Method``), of call ``kind``.

        A path that is not ``/service/method`` is labelled ``unknown`` twice, as
        go-grpc-middleware labels it.
        """
        found = self._series.get(path)
        if found is None:
            found = self._series.setdefault(path, self._new_series(path, kind))
        return found

    def _new_series(self, path: str, kind: str) -> MethodSeries:
        service, slash, method = path.removeprefix("/").partition("/")
        if not slash:
            service = method = "unknown"
        return MethodSeries(
            (kind, service, method),
            started=self.started,
            handled=self.handled,
            msg_received=self.msg_received,
            msg_sent=self.msg_sent,
            handling_seconds=self.handling_seconds,
        )

    def describe(self) -> Iterator[Metric]:
        """What the registry checks for clashes: every metric's name, without samples."""
        for metric in self._metrics():
            yield from metric.describe()

    def collect(self) -> Iterator[Metric]:
        for metric in self._metrics():
            yield from metric.collect()

    def _metrics(self) -> tuple[Counter | Histogram, ...]:
        return (self.started, self.handled, self.msg_received, self.msg_sent, self.handling_seconds)
