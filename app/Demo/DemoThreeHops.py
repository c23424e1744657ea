from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import grpc

from app.Demo.DemoHopRecorder import IDS, DemoHopRecorder
from app.Demo.DemoRelayService import DemoRelayService
from app.Demo.MyGrpcRequest import MyGrpcRequest
from grpc_request_client import (
    GrpcClient,
    RequestContext,
    RequestContextData,
    RequestContextMiddleware,
    RequestContextServerInterceptor,
)

TRACE_ID = "demo-trace-7f3a9c2e"
USER_ID = "ada@example.com"
# The context's ids, which a client sends by default, and a request id per call, which the
# demo asks for so that each hop shows one.
SENT_IDS = ("trace_id", "user_id", "correlation_id", "request_id")


class DemoThreeHops:
    """One HTTP request crossing three services, and the ids each of them saw.

    The app (an ASGI app behind ``RequestContextMiddleware``, driven by hand as a
    web server would) calls service B over gRPC; B (a server with the request
    context interceptor) calls C, the demo server. ``recorder`` must be among
    the demo server's interceptors: it shows what reached C.
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.recorder = DemoHopRecorder()

    def run(self, client: GrpcClient) -> bool:
        at_b = DemoHopRecorder()
        self._write(f"   HTTP GET /profile  X-Trace-ID: {TRACE_ID}  X-User-Id: {USER_ID}")
        with self._service_b(DemoRelayService(client), at_b) as b_target:
            app, headers = asyncio.run(self._serve_http(b_target))
        hops = [at_b.seen[-1], self.recorder.seen[-1]]
        self._write(self._row("hop", "trace id", "correlation id", "user id", "request id"))
        context = (app.trace_id, app.correlation_id, app.user_id, "-")
        self._write(self._row("app (HTTP middleware)", *(str(value) for value in context)))
        for name, seen in zip(("B", "C"), hops, strict=True):
            ids = (seen.get(key, "-") for key in IDS)
            self._write(self._row(f"{name} {seen['method']}", *ids))
        echoed = headers.get(b"x-correlation-id", b"").decode()
        self._write(f"   -> the response echoes X-Correlation-Id: {echoed}")
        return self._one_trace(app, hops) and echoed == app.correlation_id

    @staticmethod
    def _row(hop: str, trace_id: str, correlation_id: str, user_id: str, request_id: str) -> str:
        short = correlation_id if len(correlation_id) <= 15 else f"{correlation_id[:12]}..."
        return f"   {hop:<30} {trace_id:<20} {short:<15} {user_id:<16} {request_id}"

    @staticmethod
    def _one_trace(app: RequestContextData, hops: list[dict[str, str]]) -> bool:
        """One trace and one correlation id all along, the user known, a new request id per hop."""
        expected = (TRACE_ID, app.correlation_id, USER_ID)
        same = all(
            (hop.get("x-trace-id"), hop.get("correlation-id"), hop.get("user-id")) == expected
            for hop in hops
        )
        request_ids = {hop.get("request-id") for hop in hops}
        return app.trace_id == TRACE_ID and same and len(request_ids - {None}) == len(hops)

    @staticmethod
    @contextmanager
    def _service_b(relay: DemoRelayService, recorder: DemoHopRecorder) -> Iterator[str]:
        with ThreadPoolExecutor(4, thread_name_prefix="demo-service-b") as executor:
            server = grpc.server(
                executor,
                handlers=[relay.rpc_handler()],
                interceptors=[RequestContextServerInterceptor(), recorder],
            )
            port = server.add_insecure_port("127.0.0.1:0")
            server.start()
            try:
                yield f"127.0.0.1:{port}"
            finally:
                server.stop(None).wait()

    @staticmethod
    async def _serve_http(b_target: str) -> tuple[RequestContextData, dict[bytes, bytes]]:
        """What the app's handler saw, and the response headers it sent."""
        seen: list[RequestContextData] = []
        sent: list[dict[str, Any]] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            seen.append(RequestContext.get_context())
            async with GrpcClient(b_target, sent_ids=SENT_IDS) as service_b:
                response = await service_b.call_async(MyGrpcRequest())
            status = 200 if response.is_success() else 502
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: Any) -> None:
            sent.append(message)

        headers = [(b"x-trace-id", TRACE_ID.encode()), (b"x-user-id", USER_ID.encode())]
        scope = {
            "type": "http",
            "path": "/profile",
            "headers": headers,
            "client": ("203.0.113.7", 51000),
        }
        await RequestContextMiddleware(app)(scope, receive, send)
        return seen[0], dict(sent[0]["headers"])
