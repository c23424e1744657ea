from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_TRACE_HEADER = b"x-trace-id"


class RequestContextMiddleware:
    """Opens a ``RequestContext`` for every HTTP request, for any ASGI framework.

    Pure ASGI so it needs no web framework: wrap the app with it and every gRPC
    call made while serving the request carries its trace id. An incoming
    ``X-Trace-ID`` is kept only if it looks like an id (it is untrusted input
    that ends up in logs and downstream metadata); otherwise a new one starts.
    The id is echoed on the response so a caller can quote it in a bug report.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        offered = self._header(scope, _TRACE_HEADER)
        trace_id = offered if TraceId.is_valid(offered) else None
        client = scope.get("client")
        client_ip = client[0] if client else None
        with RequestContext.scope(trace_id=trace_id, client_ip=client_ip) as context:
            echoed = (context.trace_id or "").encode("ascii")

            async def send_with_trace_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() != _TRACE_HEADER
                    ]
                    message["headers"] = [*headers, (_TRACE_HEADER, echoed)]
                await send(message)

            await self._app(scope, receive, send_with_trace_id)

    @staticmethod
    def _header(scope: Scope, name: bytes) -> str | None:
        for key, value in scope.get("headers", ()):
            if key.lower() == name:
                return bytes(value).decode("latin-1")
        return None
