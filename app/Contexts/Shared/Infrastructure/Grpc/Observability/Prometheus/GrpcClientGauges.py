from __future__ import annotations

import threading
from collections.abc import Iterator
from weakref import WeakSet

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from app.Contexts.Shared.Infrastructure.Grpc.Client import GrpcClientView

BREAKER_STATES = ("closed", "open", "half_open")
_BREAKER_HELP = (
    "Number of gRPC clients of the target whose circuit breaker is in the state "
    "(closed, open or half_open)."
)
_IN_FLIGHT_HELP = "Number of RPCs in flight on the clients of the target, holding a bulkhead slot."


class GrpcClientGauges:
    """The gauges of this library's clients, read from each client's view at every scrape.

    A prometheus custom collector, part of a ``GrpcClientMetricSet``: every
    client built with a ``PrometheusClientMetrics`` of that set hands its
    ``GrpcClientView`` to ``watch``, and ``collect`` reads them all, then:

    - ``grpc_client_circuit_breaker_state{grpc_target, state}``: how many of
      the target's clients have their breaker ``closed``, ``open`` or
      ``half_open`` (what the next call meets: an open circuit past its
      cool-down is half-open; with ``scope="method"``, a client's worst
      circuit). All three states are always there for a target whose clients
      have a breaker, 0 for the states none is in, so ``state="open"`` is
      never a missing series; a target whose breaker is disabled has none.
      Clients with equal settings share one breaker, and each is counted.
    - ``grpc_client_bulkhead_in_flight{grpc_target}``: the calls holding a
      bulkhead slot now, an open stream among them, summed over the target's
      clients (a count of calls; each client has a bulkhead of its own).

    ``grpc_target`` is the target as the client was given it
    (``dns:///users:50051``), never anything from a call. The views are held
    weakly, so a client garbage-collected without ``close()`` leaves the
    scrape with it; a closed one leaves at the next scrape. Thread-safe: a
    scrape may come from prometheus-client's HTTP thread while clients are
    built.
    """

    def __init__(self, namespace: str) -> None:
        prefix = f"{namespace}_" if namespace else ""
        self._breaker_name = f"{prefix}grpc_client_circuit_breaker_state"
        self._in_flight_name = f"{prefix}grpc_client_bulkhead_in_flight"
        self._views: WeakSet[GrpcClientView] = WeakSet()
        self._lock = threading.Lock()

    def watch(self, view: GrpcClientView) -> None:
        """Report this client from the next scrape on, until it is closed or collected."""
        with self._lock:
            self._views.add(view)

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        breaker, in_flight = self._families()
        states: dict[str, dict[str, int]] = {}
        calls: dict[str, int] = {}
        for view in self._open_views():
            target = view.target
            calls[target] = calls.get(target, 0) + view.bulkhead_in_flight()
            state = view.breaker_state()
            if state is not None:
                states.setdefault(target, dict.fromkeys(BREAKER_STATES, 0))[state] += 1
        for target, counts in sorted(states.items()):
            for named, clients in counts.items():
                breaker.add_metric([target, named], float(clients))
        for target, count in sorted(calls.items()):
            in_flight.add_metric([target], float(count))
        yield breaker
        yield in_flight

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(self._breaker_name, _BREAKER_HELP, labels=["grpc_target", "state"]),
            GaugeMetricFamily(self._in_flight_name, _IN_FLIGHT_HELP, labels=["grpc_target"]),
        )

    def _open_views(self) -> list[GrpcClientView]:
        """The views of clients still open; those closed are let go of."""
        with self._lock:
            for view in [view for view in self._views if view.closed]:
                self._views.discard(view)
            return list(self._views)
