from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import grpc
from grpc_health.v1.health import HealthServicer

from app.Demo.DemoAnalyticsService import DemoAnalyticsService
from app.Demo.DemoMyService import DemoMyService
from app.Demo.DemoOrderService import DemoOrderService
from app.Demo.DemoProductService import DemoProductService
from app.Demo.DemoSearchService import DemoSearchService
from app.Demo.DemoServicer import DemoServicer
from app.Demo.DemoStorageService import DemoStorageService
from app.Demo.DemoUserService import DemoUserService
from grpc_request_client import RequestContextServerInterceptor
from grpc_request_client.testing import GrpcTestServer
from grpc_request_client.testing.server import AioHealth


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

    Serving is ``GrpcTestServer``'s job, the helper users' tests get; this class
    adds the demo's services and a server that can stop and start again.
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
        self._serving: GrpcTestServer | None = None

    @staticmethod
    def servicers() -> tuple[DemoServicer, ...]:
        return (
            DemoUserService(),
            DemoProductService(),
            DemoOrderService(),
            DemoSearchService(),
            DemoAnalyticsService(),
            DemoMyService(),
            DemoStorageService(),
        )

    @property
    def target(self) -> str:
        return self._running().target

    @property
    def port(self) -> int:
        return self._running().port

    @property
    def health(self) -> HealthServicer | AioHealth:
        if not self._serves_health:
            raise RuntimeError("the demo server runs without health")
        return self._running().health

    def start(self) -> Self:
        if self._serving is not None:
            raise RuntimeError("the demo server is already running")
        self._serving = GrpcTestServer.start(
            *(servicer.rpc_handler() for servicer in self.servicers()),
            interceptors=self._interceptors,
            max_workers=self._max_workers,
            credentials=self._credentials,
            health=self._serves_health,
            port=self._requested_port,
        )
        return self

    def stop(self, grace: float | None = None) -> None:
        """Stop serving; calls still running get ``grace`` seconds (``None``: cancelled now)."""
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop(grace)

    def _running(self) -> GrpcTestServer:
        if self._serving is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return self._serving

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
        where = self._serving.target if self._serving is not None else "stopped"
        return f"<DemoServer {where}>"
