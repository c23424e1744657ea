from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self

import grpc
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import HealthServicer
from grpc_health.v1.health_pb2 import HealthCheckResponse

from app.Contexts.Shared.Infrastructure.Grpc.Server.RequestContextServerInterceptor import (
    RequestContextServerInterceptor,
)
from app.Demo.DemoAnalyticsService import DemoAnalyticsService
from app.Demo.DemoMyService import DemoMyService
from app.Demo.DemoOrderService import DemoOrderService
from app.Demo.DemoProductService import DemoProductService
from app.Demo.DemoSearchService import DemoSearchService
from app.Demo.DemoServicer import DemoServicer
from app.Demo.DemoUserService import DemoUserService

_HOST = "127.0.0.1"


class DemoServer:
    """A real gRPC server, in this process, serving every service in ``protos/``.

    It listens on a free port of 127.0.0.1, so tests and examples can run side
    by side; ``target`` is the address to hand to ``GrpcClient``. As a context
    manager it starts on entry and stops on exit, cancelling calls still in
    flight and waiting for its worker threads::

        with DemoServer() as server:
            with GrpcClient(server.target) as client:
                ...

    Given ``credentials`` (``grpc.ssl_server_credentials(...)``) it serves TLS
    only, as the examples of the TLS page need.

    It also serves the standard grpc.health.v1 service, every demo service
    SERVING, unless ``health=False`` (to show a server without one); ``health``
    is grpc's own servicer, whose ``set()`` changes what checks see. ``port``
    picks the port, so a stopped server can come back where clients expect it.

    Every call is served inside a ``RequestContext`` opened from its metadata
    (``RequestContextServerInterceptor``), as a service of yours would be;
    ``interceptors`` run after that one, to watch or change what comes in.
    """

    def __init__(
        self,
        max_workers: int = 8,
        *,
        credentials: grpc.ServerCredentials | None = None,
        port: int = 0,
        health: bool = True,
        interceptors: Sequence[grpc.ServerInterceptor[Any, Any]] = (),
    ) -> None:
        self._max_workers = max_workers
        self._credentials = credentials
        self._requested_port = port
        self._serves_health = health
        self._interceptors = [RequestContextServerInterceptor(), *interceptors]
        self._executor: ThreadPoolExecutor | None = None
        self._server: grpc.Server | None = None
        self._port: int | None = None
        self._health: HealthServicer | None = None

    @staticmethod
    def servicers() -> tuple[DemoServicer, ...]:
        return (
            DemoUserService(),
            DemoProductService(),
            DemoOrderService(),
            DemoSearchService(),
            DemoAnalyticsService(),
            DemoMyService(),
        )

    @property
    def target(self) -> str:
        return f"{_HOST}:{self.port}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return self._port

    @property
    def health(self) -> HealthServicer:
        if self._health is None:
            raise RuntimeError("the demo server is not running, or runs without health")
        return self._health

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the demo server is already running")
        executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="demo-grpc")
        handlers = [s.rpc_handler() for s in self.servicers()]
        server = grpc.server(executor, handlers=handlers, interceptors=self._interceptors)
        health = self._health_for(handlers) if self._serves_health else None
        if health is not None:
            health_pb2_grpc.add_HealthServicer_to_server(health, server)
        address = f"{_HOST}:{self._requested_port}"
        port = (
            server.add_insecure_port(address)
            if self._credentials is None
            else server.add_secure_port(address, self._credentials)
        )
        if port == 0:
            executor.shutdown(wait=False)
            raise RuntimeError(f"could not bind port {self._requested_port} on {_HOST}")
        server.start()
        self._executor, self._server, self._port = executor, server, port
        self._health = health
        return self

    @staticmethod
    def _health_for(handlers: list[grpc.GenericRpcHandler[Any, Any]]) -> HealthServicer:
        health = HealthServicer()
        for handler in handlers:
            if isinstance(handler, grpc.ServiceRpcHandler):
                health.set(handler.service_name(), HealthCheckResponse.SERVING)
        return health

    def stop(self, grace: float | None = None) -> None:
        """Stop serving; calls still running get ``grace`` seconds (``None``: cancelled now)."""
        server, executor = self._server, self._executor
        self._server = self._executor = self._port = self._health = None
        if server is not None:
            server.stop(grace).wait()
        if executor is not None:
            executor.shutdown(wait=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(grace=None)

    def __repr__(self) -> str:
        where = self.target if self._port is not None else "stopped"
        return f"<DemoServer {where}>"
