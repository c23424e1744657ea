from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import HealthServicer
from grpc_health.v1.health_pb2 import HealthCheckResponse

Bind = Callable[[grpc.Server], int]

# No SO_REUSEPORT: with it (grpc's default) a server restarted on a fixed port can share
# that port with a fresh port-0 server another test process was just given, and calls
# reach the wrong server. Without it a stopped server's port is still free to reuse.
SERVER_OPTIONS = (("grpc.so_reuseport", 0),)


class SyncServer:
    """A sync ``grpc.server`` whose handlers run on ``executor``: ``AioServerThread``'s twin.

    ``start()`` returns once it listens (on ``port``), with grpc's
    ``HealthServicer`` as ``health`` unless it serves none; ``stop(grace)``
    returns once calls in flight are cancelled (after ``grace`` seconds;
    ``None``: now). The caller shuts ``executor`` down.
    """

    def __init__(self, server: grpc.Server, port: int, health: HealthServicer | None) -> None:
        self._server = server
        self.port = port
        self.health = health

    @classmethod
    def start(
        cls,
        handlers: Sequence[grpc.GenericRpcHandler[Any, Any]],
        interceptors: Sequence[grpc.ServerInterceptor[Any, Any]],
        executor: ThreadPoolExecutor,
        bind: Bind,
        health: tuple[str, ...] | None,
    ) -> SyncServer:
        """Serve ``handlers`` once ``bind`` has bound a port, and ``health`` (services SERVING).

        Raises what ``bind`` raised, the server stopped.
        """
        server = grpc.server(
            executor,
            handlers=list(handlers),
            interceptors=list(interceptors),
            options=SERVER_OPTIONS,
        )
        health_servicer = None if health is None else cls._health_for(health)
        if health_servicer is not None:
            health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        try:
            port = bind(server)
        except BaseException:
            server.stop(None)
            raise
        server.start()
        return cls(server, port, health_servicer)

    def stop(self, grace: float | None) -> None:
        self._server.stop(grace).wait()

    @staticmethod
    def _health_for(services: tuple[str, ...]) -> HealthServicer:
        health = HealthServicer()
        for service in services:
            health.set(service, HealthCheckResponse.SERVING)
        return health
