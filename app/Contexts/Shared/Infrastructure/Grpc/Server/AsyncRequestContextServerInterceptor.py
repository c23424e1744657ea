from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Server.ContextScopedHandler import (
    ContextScopedHandler,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class AsyncRequestContextServerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """``RequestContextServerInterceptor`` for ``grpc.aio.server(interceptors=[...])``.

    Coroutine and async-generator handlers run in the context on the event loop;
    plain handlers, which grpc.aio runs on its thread pool, run in it there.
    """

    async def intercept_service(  # type: ignore[override]  # the stubs forget an unknown method
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return ContextScopedHandler.wrap(handler, handler_call_details.invocation_metadata)
