from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self

import grpc
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import HealthServicer
from grpc_health.v1.health_pb2 import HealthCheckResponse

from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidGrpcTestServerSettings import (
    InvalidGrpcTestServerSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ServicerHandlers import ServicerHandlers

_MAX_PORT = 65535


class GrpcTestServer:
    """A real grpc server in the test's own process, serving the servicers a test hands it.

    ``start()`` returns it already listening on a free port of 127.0.0.1, so
    a ``GrpcClient(server.target)`` goes over real HTTP/2, interceptors and TLS
    included, and tests run side by side::

        with GrpcTestServer.start(MyUserService()) as server:
            with GrpcClient(server.target) as client:
                ...

    Servicers are instances of generated ``*Servicer`` subclasses, or
    ``grpc.GenericRpcHandler``s. Unless ``health=False`` it also serves
    grpc.health.v1, every named service SERVING; ``health`` is grpc's servicer,
    whose ``set()`` changes that. Stopping cancels calls in flight and waits
    for the worker threads, so no test leaks one into the next.
    """

    def __init__(
        self,
        server: grpc.Server,
        executor: ThreadPoolExecutor,
        target: str,
        services: tuple[str, ...],
        health: HealthServicer | None,
    ) -> None:
        self._server = server
        self._executor = executor
        self._health = health
        self.target = target
        self.services = services
        self._running = True

    @classmethod
    def start(
        cls,
        *servicers: object,
        interceptors: Sequence[grpc.ServerInterceptor[Any, Any]] = (),
        max_workers: int = 8,
        credentials: grpc.ServerCredentials | None = None,
        health: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> GrpcTestServer:
        """Serve ``servicers`` and return once listening; ``credentials`` make it TLS-only.

        ``port`` picks a fixed port (a server restarted where clients expect
        it); ``host="localhost"`` binds every address the name has.
        """
        cls._check(interceptors, max_workers, credentials, host, port)
        handlers = ServicerHandlers.of(servicers)
        services = handlers.service_names()
        executor = ThreadPoolExecutor(max_workers, thread_name_prefix="grpc-test-server")
        server = grpc.server(executor, handlers=handlers.handlers, interceptors=list(interceptors))
        health_servicer = cls._health_for(services) if health else None
        if health_servicer is not None:
            health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        try:
            bound = cls._bind(server, f"{host}:{port}", credentials)
        except InvalidGrpcTestServerSettings:
            server.stop(None)
            executor.shutdown(wait=True)
            raise
        server.start()
        return cls(server, executor, f"{host}:{bound}", services, health_servicer)

    @property
    def port(self) -> int:
        return int(self.target.rsplit(":", 1)[1])

    @property
    def health(self) -> HealthServicer:
        if self._health is None:
            raise InvalidGrpcTestServerSettings("this server was started with health=False")
        return self._health

    def stop(self, grace: float | None = None) -> None:
        """Stop serving, once; calls in flight get ``grace`` seconds (``None``: cancelled now)."""
        if self._running:
            self._running = False
            self._server.stop(grace).wait()
            self._executor.shutdown(wait=True)

    @staticmethod
    def _check(
        interceptors: object, max_workers: object, credentials: object, host: object, port: object
    ) -> None:
        if type(max_workers) is not int or max_workers < 1:
            raise InvalidGrpcTestServerSettings(
                f"max_workers must be an int of at least 1, got {max_workers!r}"
            )
        if not isinstance(interceptors, Sequence) or not all(
            isinstance(interceptor, grpc.ServerInterceptor) for interceptor in interceptors
        ):
            raise InvalidGrpcTestServerSettings(
                f"interceptors must be a sequence of grpc.ServerInterceptor, got {interceptors!r}"
            )
        if credentials is not None and not isinstance(credentials, grpc.ServerCredentials):
            raise InvalidGrpcTestServerSettings(
                "credentials must be grpc.ssl_server_credentials(...) or None, "
                f"got {type(credentials).__name__}"
            )
        if not isinstance(host, str) or not host or any(c.isspace() for c in host):
            raise InvalidGrpcTestServerSettings(f"host must be a name or an address, got {host!r}")
        if type(port) is not int or not 0 <= port <= _MAX_PORT:
            raise InvalidGrpcTestServerSettings(
                f"port must be an int from 0 (a free port) to {_MAX_PORT}, got {port!r}"
            )

    @staticmethod
    def _health_for(services: tuple[str, ...]) -> HealthServicer:
        health = HealthServicer()
        for service in services:
            health.set(service, HealthCheckResponse.SERVING)
        return health

    @staticmethod
    def _bind(server: grpc.Server, address: str, credentials: grpc.ServerCredentials | None) -> int:
        try:
            if credentials is None:
                return server.add_insecure_port(address)
            return server.add_secure_port(address, credentials)
        except RuntimeError as error:
            raise InvalidGrpcTestServerSettings(
                f"cannot listen on {address} (in use?); port=0 picks a free port"
            ) from error

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "serving" if self._running else "stopped"
        return f"<GrpcTestServer {self.target} {state}>"
