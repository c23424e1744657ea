from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Self

import grpc

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
    """

    def __init__(
        self, max_workers: int = 8, *, credentials: grpc.ServerCredentials | None = None
    ) -> None:
        self._max_workers = max_workers
        self._credentials = credentials
        self._executor: ThreadPoolExecutor | None = None
        self._server: grpc.Server | None = None
        self._port: int | None = None

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
        if self._port is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return f"{_HOST}:{self._port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the demo server is already running")
        executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="demo-grpc")
        server = grpc.server(executor, handlers=[s.rpc_handler() for s in self.servicers()])
        address = f"{_HOST}:0"
        port = (
            server.add_insecure_port(address)
            if self._credentials is None
            else server.add_secure_port(address, self._credentials)
        )
        if port == 0:
            executor.shutdown(wait=False)
            raise RuntimeError(f"could not bind a port on {_HOST}")
        server.start()
        self._executor, self._server, self._port = executor, server, port
        return self

    def stop(self, grace: float | None = None) -> None:
        """Stop serving; calls still running get ``grace`` seconds (``None``: cancelled now)."""
        server, executor = self._server, self._executor
        self._server = self._executor = self._port = None
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
