from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Self

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from grpc_request_client import GrpcClient
from grpc_request_client.prometheus import PrometheusClientMetrics, PrometheusServerInterceptor

# The series the demo shows, by metric and labels they must carry: GetUser's outcomes, the
# unknown user as the server saw it too, and the client's own gauges.
SHOWN = (
    ("grpc_client_handled_total", 'grpc_method="GetUser"'),
    ("grpc_server_handled_total", 'grpc_code="NotFound",grpc_method="GetUser"'),
    ("grpc_client_circuit_breaker_state", "grpc_target="),
    ("grpc_client_bulkhead_in_flight", "grpc_target="),
)


class DemoMetrics:
    """The demo's Prometheus metrics: one registry, served over HTTP while the demo runs.

    ``client_stage`` goes to the demo's client, ``server_interceptor`` to its
    server; ``serving()`` serves the registry on ``/metrics`` at a free port
    of 127.0.0.1 (prometheus-client's ``start_http_server``) for the length of
    a ``with`` block. ``scrape`` is the demo's last step: it fetches
    ``url`` as Prometheus would and shows a few of the lines it got.
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.registry = CollectorRegistry()
        self.client_stage = PrometheusClientMetrics(self.registry)
        self.server_interceptor = PrometheusServerInterceptor(self.registry)
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the demo's /metrics is not served: use it in `with serving()`")
        return self._url

    def scrape(self, client: GrpcClient) -> bool:
        self._write(f"   urllib.request.urlopen({self.url!r}), as Prometheus scrapes it")
        with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310  # our own http URL
            text = response.read().decode()
        lines = [line for line in text.splitlines() if _shown(line)]
        self._write(f"   -> {len(text.splitlines())} lines; among them:")
        for line in lines:
            self._write(f"   {line}")
        return self._as_expected(text, client.settings.target)

    @staticmethod
    def _as_expected(text: str, target: str) -> bool:
        """GetUser succeeded on both sides; the client's breaker is closed, nothing in flight."""
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

        def value(name: str, **labels: str) -> float | None:
            return samples.get((name, frozenset(labels.items())))

        ok = {"grpc_type": "unary", "grpc_service": "user.UserService", "grpc_method": "GetUser"}
        return (
            (value("grpc_client_handled_total", **ok, grpc_code="OK") or 0) >= 1
            and (value("grpc_server_handled_total", **ok, grpc_code="OK") or 0) >= 1
            and value("grpc_client_circuit_breaker_state", grpc_target=target, state="closed") == 1
            and value("grpc_client_bulkhead_in_flight", grpc_target=target) == 0
        )

    @contextmanager
    def serving(self) -> Iterator[Self]:
        """Serve the registry on ``url`` until the block is left, then stop and join the thread."""
        server, thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self._url = f"http://127.0.0.1:{server.server_port}/metrics"
        try:
            yield self
        finally:
            self._url = None
            server.shutdown()
            server.server_close()
            thread.join()


def _shown(line: str) -> bool:
    return any(line.startswith(name + "{") and label in line for name, label in SHOWN)
