from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class AsyncHandlerWrappingInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """``HandlerWrappingInterceptor`` for ``grpc.aio.server``: every known method's handler rebuilt.

    A subclass says how in ``wrap``; a method the server does not know passes
    through untouched, to be answered UNIMPLEMENTED.
    """

    async def intercept_service(  # type: ignore[override]  # the stubs forget an unknown method
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return self.wrap(handler, handler_call_details)

    @abstractmethod
    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        """``handler`` rebuilt for the call ``details`` describe (its method, its metadata)."""
