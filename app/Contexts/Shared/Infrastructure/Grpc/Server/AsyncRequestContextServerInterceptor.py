from __future__ import annotations

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Server.AsyncHandlerWrappingInterceptor import (
    AsyncHandlerWrappingInterceptor,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.ContextScopedHandler import (
    ContextScopedHandler,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class AsyncRequestContextServerInterceptor(AsyncHandlerWrappingInterceptor):
    """``RequestContextServerInterceptor`` for ``grpc.aio.server(interceptors=[...])``.

    Coroutine and async-generator handlers run in the context on the event loop;
    plain handlers, which grpc.aio runs on its thread pool, run in it there.
    """

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return ContextScopedHandler.wrap(handler, details.invocation_metadata, aio=True)
