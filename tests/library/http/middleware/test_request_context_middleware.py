from typing import Any

import pytest

from grpc_request_client import RequestContext, RequestContextData, RequestContextMiddleware
from grpc_request_client.context import CorrelationId, TraceId

Message = dict[str, Any]


class RecordingApp:
    """An ASGI app that notes the context it ran in and answers 200 with an optional header."""

    def __init__(self, response_headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.seen: list[tuple[str | None, str | None]] = []
        self.contexts: list[RequestContextData] = []
        self._headers = response_headers or []

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        self.seen.append((RequestContext.get_trace_id(), RequestContext.get_client_ip()))
        self.contexts.append(RequestContext.get_context())
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


def _echoed(sent: list[Message], header: bytes = b"x-trace-id") -> list[bytes]:
    return [value for name, value in sent[0]["headers"] if name == header]


async def _user_id_for(headers: list[tuple[bytes, bytes]]) -> str | None:
    app = RecordingApp()
    await _serve(app, headers)
    return app.contexts[0].user_id


async def test_a_valid_incoming_trace_id_is_kept_and_echoed() -> None:
    app = RecordingApp()

    sent = await _serve(app, [(b"X-Trace-ID", b"4bf92f3577b34da6a3ce929d0e0e4736")])

    assert app.seen == [("4bf92f3577b34da6a3ce929d0e0e4736", "203.0.113.9")]
    assert _echoed(sent) == [b"4bf92f3577b34da6a3ce929d0e0e4736"]
    assert sent[1]["body"] == b"ok"


async def test_a_w3c_traceparent_wins_over_x_trace_id_and_its_trace_id_is_echoed() -> None:
    app = RecordingApp()
    headers = [
        (b"X-Trace-ID", b"trace-in-0001"),
        (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ]

    sent = await _serve(app, headers)

    assert app.seen == [("4bf92f3577b34da6a3ce929d0e0e4736", "203.0.113.9")]
    assert _echoed(sent) == [b"4bf92f3577b34da6a3ce929d0e0e4736"]


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


async def test_a_valid_user_id_is_kept() -> None:
    assert await _user_id_for([(b"X-User-Id", b"ada@example.com")]) == "ada@example.com"


async def test_without_x_user_id_the_kong_consumer_custom_id_is_the_user() -> None:
    assert await _user_id_for([(b"X-Consumer-Custom-ID", b"kong-consumer-7")]) == "kong-consumer-7"


async def test_x_user_id_comes_before_the_kong_consumer_custom_id() -> None:
    headers = [(b"x-consumer-custom-id", b"kong-consumer-7"), (b"x-user-id", b"ada")]

    assert await _user_id_for(headers) == "ada"


async def test_an_invalid_x_user_id_gives_way_to_a_valid_consumer_custom_id() -> None:
    headers = [(b"x-user-id", b"ada lovelace"), (b"x-consumer-custom-id", b"kong-consumer-7")]

    assert await _user_id_for(headers) == "kong-consumer-7"


@pytest.mark.parametrize("header", [b"x-user-id", b"x-consumer-custom-id"])
@pytest.mark.parametrize(
    "offered",
    [b"", b"u" * 129, b"ada lovelace", b"ada+x@example.com", b"7\r\nx-admin: true", b"\xc3\xa9"],
    ids=["empty", "too-long", "space", "plus", "header-injection", "non-ascii"],
)
async def test_an_invalid_user_id_is_dropped(header: bytes, offered: bytes) -> None:
    assert await _user_id_for([(header, offered)]) is None


async def test_without_any_user_header_there_is_no_user() -> None:
    assert await _user_id_for([(b"x-trace-id", b"incoming-trace-0001")]) is None


async def test_a_valid_correlation_id_is_kept_and_echoed() -> None:
    app = RecordingApp()

    sent = await _serve(app, [(b"X-Correlation-Id", b"checkout-2024-0042")])

    assert app.contexts[0].correlation_id == "checkout-2024-0042"
    assert _echoed(sent, b"x-correlation-id") == [b"checkout-2024-0042"]


@pytest.mark.parametrize(
    "offered",
    [None, b"short", b"has spaces in it", b"x" * 300, b"evil\r\nset-cookie: a=b"],
    ids=["missing", "too-short", "spaces", "too-long", "header-injection"],
)
async def test_a_missing_or_invalid_correlation_id_is_replaced_by_a_new_one_and_echoed(
    offered: bytes | None,
) -> None:
    app = RecordingApp()
    headers = [] if offered is None else [(b"x-correlation-id", offered)]

    sent = await _serve(app, headers)

    correlation_id = app.contexts[0].correlation_id
    assert CorrelationId.is_valid(correlation_id)
    assert correlation_id != app.contexts[0].trace_id
    assert offered is None or correlation_id != offered.decode("latin-1")
    assert _echoed(sent, b"x-correlation-id") == [str(correlation_id).encode()]


async def test_a_correlation_header_set_by_the_app_is_replaced_not_duplicated() -> None:
    app = RecordingApp(response_headers=[(b"X-Correlation-Id", b"app-made-this-up")])

    sent = await _serve(app, [(b"x-correlation-id", b"incoming-corr-0001")])

    assert _echoed(sent, b"x-correlation-id") == [b"incoming-corr-0001"]
    assert [name for name, _ in sent[0]["headers"]] == [b"x-trace-id", b"x-correlation-id"]


async def test_the_first_of_a_repeated_header_is_the_one_read() -> None:
    headers = [(b"x-user-id", b"first"), (b"x-user-id", b"second")]

    assert await _user_id_for(headers) == "first"
