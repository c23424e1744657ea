from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self, TypeAlias

import grpc
import grpc.aio
from grpc_health.v1.health import HealthServicer

from app.Contexts.Shared.Infrastructure.Grpc.Testing.AioHealth import AioHealth
from app.Contexts.Shared.Infrastructure.Grpc.Testing.AioServerThread import AioServerThread
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidGrpcTestServerSettings import (
    InvalidGrpcTestServerSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ServerKind import ServerKind
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ServicerHandlers import ServicerHandlers
from app.Contexts.Shared.Infrastructure.Grpc.Testing.SyncServer import SyncServer

_MAX_PORT = 65535

# Generic only in the stubs, so the alias is a string.
Interceptor: TypeAlias = "grpc.ServerInterceptor[Any, Any] | grpc.aio.ServerInterceptor[Any, Any]"


class GrpcTestServer:
    """A real grpc server in the test's own process, serving the servicers a test hands it.

    ``start()`` returns it already listening on a free port of 127.0.0.1, so
    a ``GrpcClient(server.target)`` goes over real HTTP/2, interceptors and TLS
    included, and tests run side by side::

        with GrpcTestServer.start(MyUserService()) as server:
            with GrpcClient(server.target) as client:
                ...

    Servicers are instances of generated ``*Servicer`` subclasses, or
    ``grpc.GenericRpcHandler``s. Servicers whose rpc methods are ``async def``
    are served by a ``grpc.aio`` server on a thread and event loop of its own
    (``AioServerThread``), started and stopped by the same blocking calls, so
    sync and async tests use either kind alike; ``ServerKind`` says how the kind
    is decided (``aio=``) and what may not be mixed. Unless ``health=False`` it
    also serves grpc.health.v1, every named service SERVING; ``health`` is
    grpc's servicer (``AioHealth`` on an aio server), whose ``set()`` changes
    that. Stopping cancels calls in flight and waits for the server's threads,
    so no test leaks one into the next.
    """

    def __init__(
        self,
        server: SyncServer | AioServerThread,
        executor: ThreadPoolExecutor,
        target: str,
        services: tuple[str, ...],
    ) -> None:
        self._server = server
        self._executor = executor
        self.target = target
        self.services = services
        self._running = True

    @classmethod
    def start(
        cls,
        *servicers: object,
        interceptors: Sequence[Interceptor] = (),
        max_workers: int = 8,
        credentials: grpc.ServerCredentials | None = None,
        health: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        aio: bool | None = None,
    ) -> GrpcTestServer:
        """Serve ``servicers`` and return once listening; ``credentials`` make it TLS-only.

        ``port`` picks a fixed port (a server restarted where clients expect
        it); ``host="localhost"`` binds every address the name has. ``aio``
        serves grpc.aio (``True``) or sync grpc (``False``); ``None`` lets the
        servicers and interceptors decide. ``max_workers`` threads run the
        handlers of a sync server, and an aio server's plain ``def`` ones.
        Raises ``InvalidServicer`` and ``InvalidGrpcTestServerSettings``.
        """
        cls._check(max_workers, credentials, host, port)
        handlers = ServicerHandlers.of(servicers)
        services = handlers.service_names()
        kind = AioServerThread if ServerKind.is_aio(servicers, interceptors, aio) else SyncServer
        address = f"{host}:{port}"
        executor = ThreadPoolExecutor(max_workers, thread_name_prefix="grpc-test-server")
        try:
            served = kind.start(
                handlers.handlers,
                interceptors,  # type: ignore[arg-type]  # ServerKind saw they are of this kind
                executor,
                lambda server: cls._bind(server, address, credentials),
                services if health else None,
            )
        except BaseException:
            executor.shutdown(wait=True)
            raise
        return cls(served, executor, f"{host}:{served.port}", services)

    @property
    def port(self) -> int:
        return int(self.target.rsplit(":", 1)[1])

    @property
    def aio(self) -> bool:
        """Whether a ``grpc.aio`` server serves (on its own thread), not a sync one."""
        return isinstance(self._server, AioServerThread)

    @property
    def health(self) -> HealthServicer | AioHealth:
        if self._server.health is None:
            raise InvalidGrpcTestServerSettings("this server was started with health=False")
        return self._server.health

    def stop(self, grace: float | None = None) -> None:
        """Stop serving, once; calls in flight get ``grace`` seconds (``None``: cancelled now)."""
        if self._running:
            self._running = False
            self._server.stop(grace)
            self._executor.shutdown(wait=True)

    @staticmethod
    def _check(max_workers: object, credentials: object, host: object, port: object) -> None:
        if type(max_workers) is not int or max_workers < 1:
            raise InvalidGrpcTestServerSettings(
                f"max_workers must be an int of at least 1, got {max_workers!r}"
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
    def _bind(
        server: grpc.Server | grpc.aio.Server,
        address: str,
        credentials: grpc.ServerCredentials | None,
    ) -> int:
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
        kind = " aio" if self.aio else ""
        return f"<GrpcTestServer {self.target}{kind} {state}>"
