import asyncio
import dataclasses
import threading
from collections.abc import Iterator

import pytest

from grpc_request_client import (
    InvalidCorrelationId,
    InvalidTraceId,
    InvalidUserId,
    RequestContext,
    RequestContextData,
)
from grpc_request_client.context import CorrelationId, TraceId


def test_outside_any_scope_nothing_is_known() -> None:
    assert RequestContext.get_trace_id() is None
    assert RequestContext.get_client_ip() is None
    assert RequestContext.get_user_id() is None
    assert RequestContext.get_correlation_id() is None


def test_a_scope_makes_a_trace_id_when_none_is_given() -> None:
    with RequestContext.scope(client_ip="10.0.0.1") as context:
        assert TraceId.is_valid(RequestContext.get_trace_id())
        assert RequestContext.get_client_ip() == "10.0.0.1"
        assert RequestContext.get_context() == context

    assert RequestContext.get_trace_id() is None


def _fail_inside(trace_id: str) -> None:
    with RequestContext.scope(trace_id=trace_id):
        assert RequestContext.get_trace_id() == trace_id
        raise RuntimeError


def test_nested_scopes_restore_the_outer_one_even_after_an_error() -> None:
    with RequestContext.scope(trace_id="outer-trace-id"):
        with pytest.raises(RuntimeError):
            _fail_inside("inner-trace-id")
        assert RequestContext.get_trace_id() == "outer-trace-id"


SENDABLE = ["t-1", "7", "job 42", "x" * 129, "a+b/c?d=e#f", "~!@#$%^&*()_+`{}|[]\\:\";'<>?,./"]
NOT_SENDABLE = [
    pytest.param("", id="empty"),
    pytest.param(" ", id="a-space"),
    pytest.param(" t-1", id="leading-space"),
    pytest.param("t-1 ", id="trailing-space"),
    pytest.param("ünïcode", id="not-ascii"),
    pytest.param("a\r\nx-admin: true", id="header-injection"),
    pytest.param("tab\there", id="tab"),
    pytest.param("nul\x00", id="nul"),
    pytest.param(b"t-1", id="bytes"),
    pytest.param(7, id="int"),
]
RULE = "cannot travel as gRPC metadata: an id given in code must be a non-empty str"


@pytest.mark.parametrize("given", SENDABLE)
def test_ids_given_in_code_are_kept_when_they_can_travel_short_ones_included(given: str) -> None:
    with RequestContext.scope(given, user_id=given, correlation_id=given) as context:
        assert (context.trace_id, context.user_id, context.correlation_id) == (given,) * 3
        assert RequestContext.outgoing_http_headers()["X-Trace-ID"] == given


@pytest.mark.parametrize("bad", NOT_SENDABLE)
def test_a_trace_id_that_could_not_travel_is_refused(bad: str) -> None:
    with (
        pytest.raises(InvalidTraceId, match=f"trace id .* {RULE}"),
        RequestContext.scope(trace_id=bad),
    ):
        pass

    assert RequestContext.get_trace_id() is None


def test_a_scope_makes_a_correlation_id_and_keeps_the_ids_it_is_given() -> None:
    with RequestContext.scope(user_id="ada@example.com") as made:
        assert CorrelationId.is_valid(made.correlation_id)
        assert RequestContext.get_correlation_id() == made.correlation_id
        assert RequestContext.get_user_id() == "ada@example.com"
    with RequestContext.scope(correlation_id="checkout-42-corr") as given:
        assert RequestContext.get_correlation_id() == "checkout-42-corr"
        assert given.user_id is None

    assert made.correlation_id != made.trace_id


@pytest.mark.parametrize("bad", NOT_SENDABLE)
def test_a_user_id_that_could_not_travel_is_refused(bad: str) -> None:
    with (
        pytest.raises(InvalidUserId, match=f"user id .* {RULE}"),
        RequestContext.scope(user_id=bad),
    ):
        pass

    assert RequestContext.get_user_id() is None


@pytest.mark.parametrize("bad", NOT_SENDABLE)
def test_a_correlation_id_that_could_not_travel_is_refused(bad: str) -> None:
    with (
        pytest.raises(InvalidCorrelationId, match=f"correlation id .* {RULE}"),
        RequestContext.scope(correlation_id=bad),
    ):
        pass


def test_the_snapshot_keeps_its_first_two_fields_positional_and_the_ids_by_keyword() -> None:
    data = RequestContextData(
        "trace-0001-abcd", "10.0.0.1", user_id="u1", correlation_id="c-0001-x"
    )

    assert (data.trace_id, data.client_ip, data.user_id) == ("trace-0001-abcd", "10.0.0.1", "u1")
    with pytest.raises(TypeError):
        RequestContextData("trace-0001-abcd", "10.0.0.1", "u1")  # type: ignore[misc]


def test_the_outgoing_http_headers_carry_the_ids_there_are() -> None:
    with RequestContext.scope(trace_id="trace-http-0001", correlation_id="corr-http-0001"):
        anonymous = RequestContext.outgoing_http_headers()
        with RequestContext.scope(trace_id="trace-http-0002", user_id="ada"):
            known = RequestContext.outgoing_http_headers()

    assert anonymous == {"X-Trace-ID": "trace-http-0001", "X-Correlation-Id": "corr-http-0001"}
    assert known["X-Trace-ID"] == "trace-http-0002"
    assert known["X-User-Id"] == "ada"
    assert CorrelationId.is_valid(known["X-Correlation-Id"])
    assert RequestContext.outgoing_http_headers() == {}


def test_the_snapshot_is_immutable() -> None:
    with RequestContext.scope() as context, pytest.raises(dataclasses.FrozenInstanceError):
        context.trace_id = "changed-trace-id"  # type: ignore[misc]


def test_each_thread_starts_with_an_empty_context() -> None:
    seen: list[str | None] = []
    with RequestContext.scope(trace_id="main-thread-trace"):
        worker = threading.Thread(target=lambda: seen.append(RequestContext.get_trace_id()))
        worker.start()
        worker.join()

    assert seen == [None]


async def test_tasks_inherit_the_context_they_were_created_in_and_changes_stay_inside() -> None:
    async def child() -> tuple[str | None, str | None]:
        inherited = RequestContext.get_trace_id()
        with RequestContext.scope(trace_id="child-trace-id"):
            await asyncio.sleep(0)
            return inherited, RequestContext.get_trace_id()

    with RequestContext.scope(trace_id="parent-trace-id"):
        inherited, own = await asyncio.create_task(child())
        assert RequestContext.get_trace_id() == "parent-trace-id"

    assert (inherited, own) == ("parent-trace-id", "child-trace-id")


@pytest.fixture
def following() -> Iterator[list[tuple[str, str] | None]]:
    """Spans followed through a stand-in for a tracer: the test sets the active span's ids."""
    active: list[tuple[str, str] | None] = [None]
    RequestContext.follow_spans(lambda: active[0])
    yield active
    RequestContext.follow_spans(None)


def test_while_a_span_is_active_the_trace_id_is_the_spans(
    following: list[tuple[str, str] | None],
) -> None:
    with RequestContext.scope("trace-of-the-scope", user_id="ada") as scope:
        assert RequestContext.get_trace_id() == "trace-of-the-scope"
        following[0] = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
        assert RequestContext.get_trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert RequestContext.get_context() == dataclasses.replace(
            scope, trace_id="4bf92f3577b34da6a3ce929d0e0e4736"
        )
        assert RequestContext.outgoing_http_headers()["X-Trace-ID"] == (
            "4bf92f3577b34da6a3ce929d0e0e4736"
        )
        assert RequestContext.active_span_ids() == following[0]
        following[0] = None
        assert RequestContext.get_trace_id() == "trace-of-the-scope"


def test_a_span_outside_any_scope_still_names_the_trace(
    following: list[tuple[str, str] | None],
) -> None:
    following[0] = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")

    assert RequestContext.get_trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert RequestContext.get_user_id() is None


def test_spans_are_not_asked_once_no_longer_followed() -> None:
    asked: list[int] = []
    RequestContext.follow_spans(lambda: asked.append(1) or ("a" * 32, "b" * 16))
    RequestContext.follow_spans(None)

    with RequestContext.scope("trace-of-the-scope"):
        assert RequestContext.get_trace_id() == "trace-of-the-scope"
    assert RequestContext.active_span_ids() is None
    assert asked == []
