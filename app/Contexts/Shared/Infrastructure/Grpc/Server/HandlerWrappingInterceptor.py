from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class HandlerWrappingInterceptor(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """A ``grpc.server`` interceptor that rebuilds the handler of every method the server knows.

    What each server interceptor here is (the request context, metrics,
    tracing): a subclass says how in ``wrap``. A method the server does not
    know passes through untouched, to be answered UNIMPLEMENTED.
    ``AsyncHandlerWrappingInterceptor`` is the same for ``grpc.aio.server``.
    """

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return self.wrap(handler, handler_call_details)

    @abstractmethod
    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        """``handler`` rebuilt for the call ``details`` describe (its method, its metadata)."""
