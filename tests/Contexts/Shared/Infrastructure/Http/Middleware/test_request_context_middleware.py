from typing import Any

import pytest

from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId
from app.Contexts.Shared.Infrastructure.Http.Middleware.RequestContextMiddleware import (
    RequestContextMiddleware,
)

Message = dict[str, Any]


class RecordingApp:
    """An ASGI app that notes the context it ran in and answers 200 with an optional header."""

    def __init__(self, response_headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.seen: list[tuple[str | None, str | None]] = []
        self._headers = response_headers or []

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        self.seen.append((RequestContext.get_trace_id(), RequestContext.get_client_ip()))
        if scope["type"] == "http":
            await send(
                {"type": "http.response.start", "status": 200, "headers": list(self._headers)}
            )
            await send({"type": "http.response.body", "body": b"ok"})


async def _serve(app: RecordingApp, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": headers, "client": ("203.0.113.9", 51000)}
    await RequestContextMiddleware(app)(scope, receive, send)
    return sent


def _echoed(sent: list[Message]) -> list[bytes]:
    return [value for name, value in sent[0]["headers"] if name == b"x-trace-id"]


async def test_a_valid_incoming_trace_id_is_kept_and_echoed() -> None:
    app = RecordingApp()

    sent = await _serve(app, [(b"X-Trace-ID", b"4bf92f3577b34da6a3ce929d0e0e4736")])

    assert app.seen == [("4bf92f3577b34da6a3ce929d0e0e4736", "203.0.113.9")]
    assert _echoed(sent) == [b"4bf92f3577b34da6a3ce929d0e0e4736"]
    assert sent[1]["body"] == b"ok"


@pytest.mark.parametrize(
    "offered",
    [None, b"short", b"has spaces in it", b"x" * 300, b"evil\r\nset-cookie: a=b"],
    ids=["missing", "too-short", "spaces", "too-long", "header-injection"],
)
async def test_a_missing_or_suspicious_trace_id_is_replaced_by_a_new_one(
    offered: bytes | None,
) -> None:
    app = RecordingApp()
    headers = [] if offered is None else [(b"x-trace-id", offered)]

    sent = await _serve(app, headers)

    ((trace_id, _),) = app.seen
    assert TraceId.is_valid(trace_id)
    assert offered is None or trace_id != offered.decode("latin-1")
    assert _echoed(sent) == [str(trace_id).encode()]


async def test_a_trace_header_set_by_the_app_is_replaced_not_duplicated() -> None:
    app = RecordingApp(response_headers=[(b"x-trace-id", b"app-made-this-up"), (b"x-other", b"1")])

    sent = await _serve(app, [(b"x-trace-id", b"incoming-trace-0001")])

    assert _echoed(sent) == [b"incoming-trace-0001"]
    assert (b"x-other", b"1") in sent[0]["headers"]


async def test_the_context_is_closed_after_the_request() -> None:
    await _serve(RecordingApp(), [(b"x-trace-id", b"incoming-trace-0001")])

    assert RequestContext.get_trace_id() is None


async def test_lifespan_events_pass_through_without_a_context() -> None:
    app = RecordingApp()

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError("the recording app sends nothing for lifespan")

    await RequestContextMiddleware(app)({"type": "lifespan"}, receive, send)

    assert app.seen == [(None, None)]
