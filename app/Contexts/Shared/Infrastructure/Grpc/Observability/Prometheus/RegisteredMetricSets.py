from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import ClassVar, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.registry import DuplicateTimeseries

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.InvalidPrometheusMetrics import (
    InvalidPrometheusMetrics,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.PrometheusMetricsConflict import (
    PrometheusMetricsConflict,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcClientMetricSet import (
    GrpcClientMetricSet,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GrpcMetricSet,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MetricSetShape import (
    MetricSetShape,
)

_NAMESPACE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


S = TypeVar("S", bound=MetricSetShape)
# The attribute of a registry that holds its sets, by side and namespace: on the registry
# itself, so a reload of this module (IPython's autoreload, importlib.reload) finds them.
_HELD = "_grpc_request_client_metric_sets"


class RegisteredMetricSets:
    """The metric sets in each prometheus registry: made and registered once, then shared.

    A second client, stage or interceptor asking for the same registry and
    namespace gets the set already there, so metrics made twice (two
    clients, a module reloaded, one test after another) are never registered
    twice, which prometheus-client refuses (``Duplicated timeseries``, the
    crash py-grpc-prometheus has). The sets live here, in a module of their
    own, so a reloaded stage or interceptor module still finds them, and are
    held by the registry itself, so a reload of this module finds them too
    (and a registry dropped, a test's, takes its sets along). Thread-safe.

    Raises ``InvalidPrometheusMetrics`` for a ``registry`` that is not a
    ``CollectorRegistry``, a ``namespace`` that is not a metric-name prefix, or
    ``buckets`` that are not increasing numbers of seconds (a last ``+Inf`` is
    allowed; prometheus-client adds it anyway); ``PrometheusMetricsConflict``
    when the set there has other buckets, or the registry holds the same names
    from elsewhere.
    """

    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def client(cls, registry: object, namespace: object, buckets: object) -> GrpcClientMetricSet:
        """The ``grpc_client_*`` set (and the library's own) of ``registry`` and ``namespace``."""
        return cls._shared("client", registry, namespace, buckets, GrpcClientMetricSet)

    @classmethod
    def server(cls, registry: object, namespace: object, buckets: object) -> GrpcMetricSet:
        """The ``grpc_server_*`` set of ``registry`` and ``namespace``."""

        def server_set(namespace: str, buckets: tuple[float, ...]) -> GrpcMetricSet:
            return GrpcMetricSet("server", namespace, buckets)

        return cls._shared("server", registry, namespace, buckets, server_set)

    @classmethod
    def _shared(
        cls,
        side: str,
        registry: object,
        namespace: object,
        buckets: object,
        make: Callable[[str, tuple[float, ...]], S],
    ) -> S:
        checked_registry, checked_namespace = cls._registry(registry), cls._namespace(namespace)
        checked_buckets = cls._buckets(buckets)
        with cls._lock:
            held: dict[str, dict[str, S]] = checked_registry.__dict__.setdefault(_HELD, {})
            in_registry = held.setdefault(side, {})
            found = in_registry.get(checked_namespace)
            if found is None:
                found = make(checked_namespace, checked_buckets)
                try:
                    checked_registry.register(found)
                except DuplicateTimeseries as error:
                    raise PrometheusMetricsConflict(
                        f"the registry already has {', '.join(sorted(error.duplicates))}, "
                        "registered by something else (py-grpc-prometheus?); give these metrics "
                        "another registry or namespace"
                    ) from error
                in_registry[checked_namespace] = found
        if found.buckets != checked_buckets:
            raise PrometheusMetricsConflict(
                f"the registry's metrics of namespace {checked_namespace!r} have buckets "
                f"{found.buckets}, not {checked_buckets}: one histogram cannot have both; "
                "give the same buckets, or another namespace or registry"
            )
        return found

    @staticmethod
    def _registry(registry: object) -> CollectorRegistry:
        if not isinstance(registry, CollectorRegistry):
            raise InvalidPrometheusMetrics(
                "registry must be a prometheus_client.CollectorRegistry, "
                f"got {type(registry).__name__}"
            )
        return registry

    @staticmethod
    def _namespace(namespace: object) -> str:
        if not isinstance(namespace, str) or (namespace and not _NAMESPACE.fullmatch(namespace)):
            raise InvalidPrometheusMetrics(
                "namespace must be '' or a metric-name prefix ([a-zA-Z_][a-zA-Z0-9_]*), "
                f"got {namespace!r}"
            )
        return namespace

    @staticmethod
    def _buckets(buckets: object) -> tuple[float, ...]:
        """The bucket bounds as floats, without the last ``+Inf`` prometheus-client adds itself."""
        bounds = list(buckets) if isinstance(buckets, Iterable) else None
        if bounds and bounds[-1] == math.inf:
            bounds.pop()
        if (
            not bounds
            or any(type(bound) not in {int, float} or not math.isfinite(bound) for bound in bounds)
            or any(lower >= upper for lower, upper in pairwise(bounds))
        ):
            raise InvalidPrometheusMetrics(
                "buckets must be finite numbers of seconds in increasing order (a last +Inf "
                f"allowed), got {buckets!r}"
            )
        return tuple(float(bound) for bound in bounds)
