from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app.Contexts.Shared.Infrastructure.Http.Context.InvalidTraceId import InvalidTraceId
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContextData import RequestContextData
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId

_EMPTY = RequestContextData()
_current: ContextVar[RequestContextData] = ContextVar("request_context", default=_EMPTY)


class RequestContext:
    """The request being served, visible to any code it reaches without passing it around.

    Backed by one ``ContextVar`` holding an immutable snapshot, so each thread
    starts empty and each asyncio task sees the context it was created in, and a
    change inside one task never leaks into its siblings. ``scope()`` is the only
    way in: it always restores what was there before, even on error.
    """

    @staticmethod
    def get_trace_id() -> str | None:
        return _current.get().trace_id

    @staticmethod
    def get_client_ip() -> str | None:
        return _current.get().client_ip

    @staticmethod
    def get_context() -> RequestContextData:
        return _current.get()

    @staticmethod
    @contextmanager
    def scope(
        trace_id: str | None = None, client_ip: str | None = None
    ) -> Iterator[RequestContextData]:
        """Open a context for a request, job or CLI command; a trace id is made if none is given."""
        if trace_id is None:
            trace_id = TraceId.generate()
        elif not TraceId.is_valid(trace_id):
            raise InvalidTraceId(trace_id)
        data = RequestContextData(trace_id=trace_id, client_ip=client_ip)
        token = _current.set(data)
        try:
            yield data
        finally:
            _current.reset(token)
