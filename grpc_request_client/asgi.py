"""ASGI middleware that opens a ``RequestContext`` for each incoming HTTP request."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from grpc_request_client.context import IdHeaders, IncomingIds, TraceParent

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_TRACE = IdHeaders.TRACE_ID.lower()
_USER = (IdHeaders.USER_ID.lower(), IdHeaders.CONSUMER_CUSTOM_ID.lower())
_CORRELATION = IdHeaders.CORRELATION_ID.lower()
_READ = frozenset({TraceParent.HEADER, _TRACE, *_USER, _CORRELATION})
_ECHOED = frozenset({_TRACE.encode(), _CORRELATION.encode()})


class RequestContextMiddleware:
    """Opens a ``RequestContext`` for every HTTP request, for any ASGI framework.

    Pure ASGI so it needs no web framework: wrap the app with it and every gRPC
    call made while serving the request carries its ids. ``X-Trace-ID``,
    ``X-User-Id`` (else Kong's ``X-Consumer-Custom-ID``) and ``X-Correlation-Id``
    are untrusted input that ends up in logs and downstream metadata, so each is
    kept only if it looks like an id (see ``IncomingIds``; a valid W3C
    ``traceparent`` wins over ``X-Trace-ID``): a bad user id is
    dropped, a missing or bad trace or correlation id replaced by a new one. The
    trace and correlation ids are echoed on the response so a caller can quote
    them in a bug report.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        ids = IncomingIds.read(
            self._headers(scope), trace=(_TRACE,), user=_USER, correlation=(_CORRELATION,)
        )
        client = scope.get("client")
        with ids.scope(client[0] if client else None):
            echoed = [
                (_TRACE.encode(), ids.trace_id.encode("ascii")),
                (_CORRELATION.encode(), ids.correlation_id.encode("ascii")),
            ]

            async def send_with_ids(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() not in _ECHOED
                    ]
                    message["headers"] = [*headers, *echoed]
                await send(message)

            await self._app(scope, receive, send_with_ids)

    @staticmethod
    def _headers(scope: Scope) -> dict[str, str]:
        """The headers that may carry ids, lowercased; the first of a repeated header wins."""
        found: dict[str, str] = {}
        for key, value in scope.get("headers", ()):
            name = bytes(key).decode("latin-1").lower()
            if name in _READ:
                found.setdefault(name, bytes(value).decode("latin-1"))
        return found
