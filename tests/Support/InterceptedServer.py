from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import grpc
import grpc.aio

from grpc_request_client import (
    AsyncRequestContextServerInterceptor,
    RequestContextServerInterceptor,
)

Handlers = Sequence[grpc.GenericRpcHandler]
Interceptors = Sequence[grpc.ServerInterceptor]
AioInterceptors = Sequence[grpc.aio.ServerInterceptor]


class InterceptedServer:
    """A real server behind the request-context interceptor, listening on a free port of ``host``.

    ``sync()`` starts a ``grpc.server``, ``aio()`` a ``grpc.aio.server`` on the
    running loop (its thread pool runs plain handlers). Both are async context
    managers yielding the target, so one async test body drives either kind;
    ``host`` may be ``"[::1]"`` for IPv6; ``before`` are interceptors that run
    before the request context's (tracing, metrics).
    """

    @staticmethod
    @asynccontextmanager
    async def sync(
        handlers: Handlers, host: str = "127.0.0.1", before: Interceptors = ()
    ) -> AsyncIterator[str]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            server = grpc.server(
                pool,
                handlers=handlers,
                interceptors=[*before, RequestContextServerInterceptor()],
            )
            port = server.add_insecure_port(f"{host}:0")
            server.start()
            try:
                yield f"{host}:{port}"
            finally:
                server.stop(None).wait()

    @staticmethod
    @asynccontextmanager
    async def aio(
        handlers: Handlers, host: str = "127.0.0.1", before: AioInterceptors = ()
    ) -> AsyncIterator[str]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            server = grpc.aio.server(
                pool,
                handlers=handlers,
                interceptors=[*before, AsyncRequestContextServerInterceptor()],
            )
            port = server.add_insecure_port(f"{host}:0")
            await server.start()
            try:
                yield f"{host}:{port}"
            finally:
                await server.stop(None)
