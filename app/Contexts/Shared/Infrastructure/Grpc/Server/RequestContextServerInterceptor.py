from __future__ import annotations

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Server.ContextScopedHandler import (
    ContextScopedHandler,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerWrappingInterceptor import (
    HandlerWrappingInterceptor,
)


class RequestContextServerInterceptor(HandlerWrappingInterceptor):
    """Serves each call of a ``grpc.server`` inside a ``RequestContext`` opened from its metadata.

    So a service that is called and calls others continues the caller's trace:
    the trace, correlation and user ids that arrived (kept only if valid, as the
    HTTP middleware keeps them; see ``ContextScopedHandler``) go out again on
    every ``GrpcClient`` call the handler makes, and the peer's IP is the
    context's client IP. Pass it as ``grpc.server(executor, interceptors=[...])``.
    A method the server does not know passes through, to be answered UNIMPLEMENTED.
    """

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return ContextScopedHandler.wrap(handler, details.invocation_metadata, aio=False)
