from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]  # not in the stubs
from grpc_health.v1.health_pb2 import HealthCheckResponse

from app.Contexts.Shared.Infrastructure.Grpc.Testing.AioHealth import AioHealth
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidGrpcTestServerSettings import (
    InvalidGrpcTestServerSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.SyncServer import SERVER_OPTIONS

# How long a blocking call waits for the server's loop to run what it was handed.
_WAIT_SECONDS = 10.0

Bind = Callable[[grpc.aio.Server], int]


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
        bind: Bind,
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
        bind: Bind,
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
