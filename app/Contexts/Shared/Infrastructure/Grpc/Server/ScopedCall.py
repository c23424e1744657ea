from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import grpc

from app.Contexts.Shared.Infrastructure.Http.Context.IncomingIds import IncomingIds
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContextData import RequestContextData

Scope = AbstractContextManager[RequestContextData]


class ScopedCall:
    """One server call run inside a ``RequestContext`` of its ids: a ``HandlerCall``.

    Each step of the handler enters the context and leaves it again, so a
    stream the client abandons leaves nothing behind in the thread or task
    that drove it, and the context is never reset from another thread. How
    the call ended is no concern of the context.
    """

    __slots__ = ("_client_ip", "_ids")

    def __init__(self, ids: IncomingIds, client_ip: str | None) -> None:
        self._ids = ids
        self._client_ip = client_ip

    def enter(self) -> Scope:
        """Open the call's context for a step; the scope ``leave`` closes."""
        scope = self._ids.scope(self._client_ip)
        scope.__enter__()
        return scope

    def leave(self, token: Any) -> None:
        """Close the step's context, restoring what was there before."""
        token.__exit__(None, None, None)

    def ended(self, code: grpc.StatusCode) -> None:
        """Nothing to do: the context ends with each step."""
