from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from grpc_health.v1.health_pb2 import HealthCheckResponse

RunOnServerLoop = Callable[[Coroutine[Any, Any, None]], None]


class AioHealth:
    """grpc.health.v1 on a ``grpc.aio`` test server, changed with blocking calls as on a sync one.

    ``set(service, status)`` takes a ``HealthCheckResponse`` status (``SERVING``,
    ``NOT_SERVING``...) and returns once the server's loop has applied it: the
    next Check answers it, and every open Watch stream has been sent it. Called
    from a servicer running on that loop it would wait for itself, so it raises
    ``InvalidGrpcTestServerSettings``; code there awaits ``servicer.set(...)``,
    ``servicer`` being grpc's asyncio ``HealthServicer`` itself. Once the
    server has stopped there is nothing left to tell, and it does nothing.
    """

    def __init__(self, servicer: Any, run: RunOnServerLoop) -> None:
        self.servicer = servicer
        self._run = run

    def set(self, service: str, status: HealthCheckResponse.ServingStatus) -> None:
        self._run(self.servicer.set(service, status))

    def enter_graceful_shutdown(self) -> None:
        """Every service NOT_SERVING from now on, whatever ``set`` is told later."""
        self._run(self.servicer.enter_graceful_shutdown())
