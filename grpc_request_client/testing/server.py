"""``GrpcTestServer``: real servicers served in-process on ``127.0.0.1``, sync or grpc.aio."""

from __future__ import annotations

import asyncio
import gc
import inspect
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self, TypeAlias, cast

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import HealthServicer
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]  # not in the stubs
from grpc_health.v1.health_pb2 import HealthCheckResponse

from grpc_request_client.testing.errors import InvalidGrpcTestServerSettings, InvalidServicer

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


BindSync = Callable[[grpc.Server], int]

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
        bind: BindSync,
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


# How long a blocking call waits for the server's loop to run what it was handed.
_WAIT_SECONDS = 10.0

BindAio = Callable[[grpc.aio.Server], int]


class AioServerThread:
    """A ``grpc.aio`` server on a thread of its own, which runs an event loop of its own.

    grpc.aio objects belong to the loop that made them, so the server, its
    health servicer and every call it serves live on that thread, and a test's
    own loop is never touched: a sync test and an async one drive it alike,
    and a client in either reaches it over real HTTP/2. ``start()`` returns
    once it listens (on ``port``); ``stop(grace)`` returns once calls in flight
    are cancelled (after ``grace`` seconds; ``None``: now), the thread has
    ended and its loop is closed. Plain ``def`` handlers (a generated base's
    UNIMPLEMENTED methods) run on ``executor``, which the caller shuts down.
    """

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor
        self._ready: Future[tuple[int, Any]] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._grace: float | None = None
        self._thread = threading.Thread()
        self.port = 0
        self.health: AioHealth | None = None

    @classmethod
    def start(
        cls,
        handlers: Sequence[grpc.GenericRpcHandler[Any, Any]],
        interceptors: Sequence[grpc.aio.ServerInterceptor[Any, Any]],
        executor: ThreadPoolExecutor,
        bind: BindAio,
        health: tuple[str, ...] | None,
    ) -> AioServerThread:
        """Serve ``handlers`` once ``bind`` has bound a port, and ``health`` (services SERVING).

        Raises what ``bind`` raised, with no thread left running.
        """
        started = cls(executor)
        started._thread = threading.Thread(
            target=started._main,
            args=(handlers, interceptors, bind, health),
            name="grpc-test-server-aio",
            daemon=True,
        )
        started._thread.start()
        try:
            started.port, health_servicer = started._ready.result()
        except BaseException:
            started._thread.join()
            raise
        if health_servicer is not None:
            started.health = AioHealth(health_servicer, started.run)
        return started

    def run(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the server's loop and return once it has; nothing once stopped."""
        if threading.current_thread() is self._thread:
            work.close()
            raise InvalidGrpcTestServerSettings(
                "a blocking call on the aio server's own loop would wait for itself; "
                "await the coroutine there instead (server.health.servicer.set(...))"
            )
        if self._loop is None or not self._thread.is_alive():
            work.close()
            return
        asyncio.run_coroutine_threadsafe(work, self._loop).result(_WAIT_SECONDS)

    def stop(self, grace: float | None) -> None:
        if self._loop is not None and self._stopping is not None and self._thread.is_alive():
            self._grace = grace
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join()
            # Each call leaves grpc's server in a reference cycle (its RPCState, its task),
            # and grpc.aio's poller thread runs until every aio object is deallocated.
            gc.collect()

    def _main(self, *args: Any) -> None:
        try:
            asyncio.run(self._serve(*args))
        finally:
            if not self._ready.done():
                self._ready.cancel()

    async def _serve(self, *args: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            server, port, health_servicer = await self._open(*args)
        except Exception as error:  # handed to the thread that called start()
            self._ready.set_exception(error)
            return
        self._ready.set_result((port, health_servicer))
        await self._stopping.wait()
        await server.stop(self._grace)
        # grpc's stop returns before the tasks of the calls it cancelled have seen it; were
        # asyncio.run to cancel them again, grpc would log each as an unhandled exception.
        calls = asyncio.all_tasks() - {asyncio.current_task()}
        if calls:
            await asyncio.wait(calls, timeout=_WAIT_SECONDS)

    async def _open(
        self,
        handlers: Sequence[grpc.GenericRpcHandler[Any, Any]],
        interceptors: Sequence[grpc.aio.ServerInterceptor[Any, Any]],
        bind: BindAio,
        health: tuple[str, ...] | None,
    ) -> tuple[grpc.aio.Server, int, Any]:
        server = grpc.aio.server(
            migration_thread_pool=self._executor,
            handlers=handlers,
            interceptors=interceptors,
            options=SERVER_OPTIONS,
        )
        try:
            health_servicer = await self._health_for(server, health)
            port = bind(server)
            await server.start()
        except BaseException:
            await server.stop(None)
            raise
        return server, port, health_servicer

    @staticmethod
    async def _health_for(server: grpc.aio.Server, services: tuple[str, ...] | None) -> Any:
        if services is None:
            return None
        health = health_aio.HealthServicer()
        for service in services:
            await health.set(service, HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        return health


class ServicerHandlers:
    """The rpc handlers that serve some servicers, found the way ``protoc`` meant them to be.

    For a generated servicer class ``<Name>Servicer``, its ``*_pb2_grpc`` module
    holds ``add_<Name>Servicer_to_server(servicer, server)``. Walking the MRO of
    the servicer's class finds that function for any subclass, however deep.
    The function is handed this object in place of a ``grpc.Server``, so it
    registers its handlers here, where they can be read (for their service
    names, each of which may be served once) before a real server is built.
    """

    def __init__(self) -> None:
        self.handlers: list[grpc.GenericRpcHandler[Any, Any]] = []

    @classmethod
    def of(cls, servicers: Iterable[object]) -> ServicerHandlers:
        collected = cls()
        for servicer in servicers:
            collected._add(servicer)
        return collected

    def service_names(self) -> tuple[str, ...]:
        """The services the handlers name, each once: grpc would never call a second one."""
        names = [
            handler.service_name()
            for handler in self.handlers
            if isinstance(handler, grpc.ServiceRpcHandler)
        ]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InvalidServicer(
                f"{', '.join(twice)} is served twice; grpc would only ever call the first one"
            )
        return tuple(names)

    def _add(self, servicer: object) -> None:
        if isinstance(servicer, grpc.GenericRpcHandler):
            self.handlers.append(servicer)
            return
        if isinstance(servicer, type):
            raise InvalidServicer(
                f"{servicer.__qualname__} is a class; pass an instance: {servicer.__qualname__}()"
            )
        self._registration(servicer)(servicer, self)

    @staticmethod
    def generated_base(servicer: object) -> type | None:
        """The generated ``<Name>Servicer`` class ``servicer`` extends, or ``None``."""
        for klass in type(servicer).__mro__:
            module = sys.modules.get(klass.__module__)
            if callable(getattr(module, f"add_{klass.__name__}_to_server", None)):
                return klass
        return None

    @classmethod
    def _registration(cls, servicer: object) -> Callable[[object, ServicerHandlers], None]:
        base = cls.generated_base(servicer)
        if base is not None:
            add = getattr(sys.modules[base.__module__], f"add_{base.__name__}_to_server")
            return cast("Callable[[object, ServicerHandlers], None]", add)  # generated: untyped
        raise InvalidServicer(
            f"{type(servicer).__qualname__} is neither a generated servicer (no class it extends "
            "has an add_<Name>_to_server function beside it, as *_pb2_grpc modules do) nor a "
            "grpc.GenericRpcHandler; extend your *_pb2_grpc.<Name>Servicer, or pass a handler "
            "such as grpc.method_handlers_generic_handler(...)"
        )

    def add_generic_rpc_handlers(
        self, handlers: Iterable[grpc.GenericRpcHandler[Any, Any]]
    ) -> None:
        self.handlers.extend(handlers)

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        """Generated code registers each method twice; the generic handler alone serves them all."""


class ServerKind:
    """Whether a ``GrpcTestServer`` is a ``grpc.aio`` server or a sync one, from what it serves.

    Each piece it is handed has a kind, or suits both. A generated servicer is
    aio when the rpc methods it writes are ``async def`` (coroutines or async
    generators) and sync when they are plain ``def``s; one that writes none
    (the generated base, all UNIMPLEMENTED) and a ``grpc.GenericRpcHandler``
    (whose functions grpc keeps to itself) suit both. An interceptor is a
    ``grpc.aio.ServerInterceptor`` or a ``grpc.ServerInterceptor``.

    ``aio=None`` follows the pieces: aio if any is, sync otherwise; ``True`` or
    ``False`` says it, for generic handlers of ``async def`` functions. Both
    kinds in one server (in one servicer too), a piece of the kind not asked
    for, or an interceptor of neither kind raise ``InvalidGrpcTestServerSettings``
    naming each piece and its kind: grpc would fail those calls only when they
    came, and a sync server would answer an ``async def`` one with a coroutine.
    """

    @classmethod
    def is_aio(cls, servicers: Iterable[object], interceptors: object, aio: object) -> bool:
        if aio is not None and type(aio) is not bool:
            raise InvalidGrpcTestServerSettings(
                f"aio must be True, False or None (the servicers decide), got {aio!r}"
            )
        pieces = [*cls._servicers(servicers), *cls._interceptors(interceptors)]
        aio_pieces = [name for name, is_aio in pieces if is_aio]
        sync_pieces = [name for name, is_aio in pieces if not is_aio]
        if aio_pieces and sync_pieces:
            raise InvalidGrpcTestServerSettings(
                "one server serves one kind, grpc.aio or sync, but it was given grpc.aio "
                f"{', '.join(aio_pieces)} and sync {', '.join(sync_pieces)}; "
                "start a GrpcTestServer for each kind"
            )
        if aio is None:
            return bool(aio_pieces)
        refused = sync_pieces if aio else aio_pieces
        if refused:
            raise InvalidGrpcTestServerSettings(
                f"aio={aio}, but it was given {'sync' if aio else 'grpc.aio'} {', '.join(refused)}"
            )
        return aio

    @classmethod
    def _servicers(cls, servicers: Iterable[object]) -> list[tuple[str, bool]]:
        pieces = []
        for servicer in servicers:
            methods = cls._written_methods(servicer)
            asynchronous = sorted(name for name, is_aio in methods.items() if is_aio)
            plain = sorted(name for name, is_aio in methods.items() if not is_aio)
            name = type(servicer).__qualname__
            if asynchronous and plain:
                raise InvalidGrpcTestServerSettings(
                    f"{name} mixes async def rpc methods ({', '.join(asynchronous)}) with plain "
                    f"def ones ({', '.join(plain)}); one server serves one kind, grpc.aio or sync"
                )
            if methods:
                pieces.append(
                    (
                        f"{name} ({'async def' if asynchronous else 'def'} methods)",
                        bool(asynchronous),
                    )
                )
        return pieces

    @staticmethod
    def _written_methods(servicer: object) -> dict[str, bool]:
        """The rpc methods ``servicer`` writes over its generated base: name, and whether async."""
        base = ServicerHandlers.generated_base(servicer)
        if base is None:
            return {}
        written = {}
        for name, generated in vars(base).items():
            method = getattr(type(servicer), name, generated)
            if not name.startswith("_") and callable(generated) and method is not generated:
                written[name] = inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(
                    method
                )
        return written

    @staticmethod
    def _interceptors(interceptors: object) -> list[tuple[str, bool]]:
        kinds = (grpc.ServerInterceptor, grpc.aio.ServerInterceptor)
        if not isinstance(interceptors, Sequence) or not all(
            isinstance(interceptor, kinds) for interceptor in interceptors
        ):
            raise InvalidGrpcTestServerSettings(
                "interceptors must be a sequence of grpc.ServerInterceptor (or, for a grpc.aio "
                f"server, of grpc.aio.ServerInterceptor), got {interceptors!r}"
            )
        return [
            (
                f"{type(interceptor).__qualname__} "
                f"({'grpc.aio.ServerInterceptor' if is_aio else 'grpc.ServerInterceptor'})",
                is_aio,
            )
            for interceptor in interceptors
            for is_aio in [isinstance(interceptor, grpc.aio.ServerInterceptor)]
        ]


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
