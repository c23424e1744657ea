from __future__ import annotations

from collections.abc import Callable

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Server.ContextScopedHandler import (
    ContextScopedHandler,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class RequestContextServerInterceptor(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """Serves each call of a ``grpc.server`` inside a ``RequestContext`` opened from its metadata.

    So a service that is called and calls others continues the caller's trace:
    the trace, correlation and user ids that arrived (kept only if valid, as the
    HTTP middleware keeps them; see ``ContextScopedHandler``) go out again on
    every ``GrpcClient`` call the handler makes, and the peer's IP is the
    context's client IP. Pass it as ``grpc.server(executor, interceptors=[...])``.
    A method the server does not know passes through, to be answered UNIMPLEMENTED.
    """

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return ContextScopedHandler.wrap(handler, handler_call_details.invocation_metadata)
