from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc

IDS = ("x-trace-id", "correlation-id", "user-id", "request-id")


class DemoHopRecorder(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """Notes the ids every call to a server arrived with, so the demo can show them hop by hop.

    An interceptor rather than code in the services, so what it shows is what
    came over the wire, before anything on the server could change it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen: list[dict[str, str]] = []

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        arrived = {"method": handler_call_details.method}
        for key, value in handler_call_details.invocation_metadata:
            if key in IDS and isinstance(value, str):
                arrived.setdefault(key, value)
        with self._lock:
            self.seen.append(arrived)
        return continuation(handler_call_details)
