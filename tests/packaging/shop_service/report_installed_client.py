"""The shop service calls its own OrderService through the installed grpc-request-client.

Run by ``tests/packaging/test_wheel_installs_beside_a_service.py`` with a fresh virtual
environment's python, from this folder, as ``python report_installed_client.py REPORT``.
It serves ``OrderServicer`` on a real grpc server on 127.0.0.1, calls it once with
``call`` and once with ``call_async`` through a client that traces (OpenTelemetry SDK,
in-memory exporter) and counts (prometheus-client, a registry of its own), and writes
what it saw as JSON to ``REPORT``: where each package was imported from, the replies,
the spans and the Prometheus samples. The test judges the report.
"""

import asyncio
import json
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import grpc_request_client
import grpc_request_client.testing
from grpc_request_client import GrpcCallStage, GrpcClient, GrpcResponse
from grpc_request_client.otel import OpenTelemetryClientStage
from grpc_request_client.prometheus import PrometheusClientMetrics
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

import app
import protos
from app.Contexts.Shop.Orders.Infrastructure.GetOrderGrpcRequest import GetOrderGrpcRequest
from app.Contexts.Shop.Orders.Infrastructure.OrderServicer import OrderServicer
from protos import order_pb2
from protos.order_pb2_grpc import add_OrderServiceServicer_to_server

METHOD = {"grpc_type": "unary", "grpc_service": "shop.OrderService", "grpc_method": "GetOrder"}


def reply(response: GrpcResponse) -> dict[str, object]:
    order = response.message() if response.is_success() else None
    return {
        "code": response.status_code().name,
        "order_id": order.order_id if order else None,
        "status": order.status if order else None,
    }


async def call_async(target: str, stages: list[GrpcCallStage[Any]]) -> GrpcResponse:
    async with GrpcClient(target, stages=stages) as client:
        return await client.call_async(GetOrderGrpcRequest("o-2"))


def origin(module: ModuleType) -> str:
    return str(Path(module.__file__ or "").resolve())


def serve() -> tuple[grpc.Server, str]:
    """The shop's own grpc server, started on a free port of 127.0.0.1, and its target."""
    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    add_OrderServiceServicer_to_server(OrderServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


def call_both_ways(target: str, stages: list[GrpcCallStage[Any]]) -> dict[str, object]:
    with GrpcClient(target, stages=stages) as client:
        sync = client.call(GetOrderGrpcRequest("o-1"))
    asynchronous = asyncio.run(call_async(target, stages))
    return {"sync": reply(sync), "async": reply(asynchronous)}


def main(report: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    registry = CollectorRegistry()
    stages: list[GrpcCallStage[Any]] = [
        OpenTelemetryClientStage(tracer_provider=provider),
        PrometheusClientMetrics(registry),
    ]
    server, target = serve()
    try:
        replies = call_both_ways(target, stages)
    finally:
        server.stop(None)
    modules = (app, protos, order_pb2, grpc_request_client, grpc_request_client.testing)
    seen = {
        "origins": {module.__name__: origin(module) for module in modules},
        "purelib": str(Path(sysconfig.get_path("purelib")).resolve()),
        "replies": replies,
        "spans": [[span.name, span.kind.name] for span in exporter.get_finished_spans()],
        "handled_ok": registry.get_sample_value(
            "grpc_client_handled_total", {**METHOD, "grpc_code": "OK"}
        ),
    }
    report.write_text(json.dumps(seen, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
