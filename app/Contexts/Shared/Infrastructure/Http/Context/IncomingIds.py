from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import NamedTuple, TypeGuard

from app.Contexts.Shared.Infrastructure.Http.Context.CorrelationId import CorrelationId
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContextData import RequestContextData
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId
from app.Contexts.Shared.Infrastructure.Http.Context.TraceParent import TraceParent
from app.Contexts.Shared.Infrastructure.Http.Context.UserId import UserId

Names = tuple[str, ...]


class IncomingIds(NamedTuple):
    """The ids a caller sent, each kept only if valid; a new trace and correlation id otherwise.

    The one rule for ids from outside, shared by the HTTP middleware and the gRPC
    server interceptors so a service trusts the same things however it is
    called. An id from outside ends up in every log line and downstream call, so
    a malformed one is dropped, never repaired: the user is then unknown, and the
    trace or correlation starts afresh here. An id may arrive under several
    names, tried in order; the first valid value wins. A valid W3C
    ``traceparent`` (``TraceParent``) wins over every trace id name: the caller
    is then part of a trace, and its id is the one to keep.
    """

    trace_id: str
    user_id: str | None
    correlation_id: str

    @classmethod
    def read(
        cls, values: Mapping[str, object], *, trace: Names, user: Names, correlation: Names
    ) -> "IncomingIds":
        """Pick the ids out of ``values`` (header or metadata names, lowercase, to values).

        ``values`` may hold ``traceparent`` too, whatever ``trace`` names.
        """
        return cls(
            TraceParent.trace_id(values.get(TraceParent.HEADER))
            or cls._first_valid(values, trace, TraceId.is_valid)
            or TraceId.generate(),
            cls._first_valid(values, user, UserId.is_valid),
            cls._first_valid(values, correlation, CorrelationId.is_valid)
            or CorrelationId.generate(),
        )

    def scope(self, client_ip: str | None) -> AbstractContextManager[RequestContextData]:
        """A ``RequestContext`` with these ids; entered again, it is the same context."""
        return RequestContext.scope(
            self.trace_id, client_ip, user_id=self.user_id, correlation_id=self.correlation_id
        )

    @staticmethod
    def _first_valid(
        values: Mapping[str, object], names: Names, is_valid: Callable[[object], TypeGuard[str]]
    ) -> str | None:
        for name in names:
            value = values.get(name)
            if is_valid(value):
                return value
        return None
