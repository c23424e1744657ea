"""TraceParent: the trace id of a W3C traceparent header, by the recommendation's rules."""

import pytest

from grpc_request_client.context import TraceParent

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    "value",
    [
        f"00-{TRACE}-00f067aa0ba902b7-01",
        f"00-{TRACE}-00f067aa0ba902b7-00",
        f"01-{TRACE}-00f067aa0ba902b7-01-future-fields",
    ],
    ids=["sampled", "not-sampled", "a-later-version-with-more"],
)
def test_a_valid_header_gives_its_trace_id(value: str) -> None:
    assert TraceParent.trace_id(value) == TRACE


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "",
        "00-bad",
        f"ff-{TRACE}-00f067aa0ba902b7-01",
        f"00-{'0' * 32}-00f067aa0ba902b7-01",
        f"00-{TRACE}-{'0' * 16}-01",
        f"00-{TRACE.upper()}-00f067aa0ba902b7-01",
        f"00-{TRACE}-00f067aa0ba902b7-01-more",
        f"00-{TRACE[:-1]}-00f067aa0ba902b7-01",
        f" 00-{TRACE}-00f067aa0ba902b7-01",
    ],
    ids=[
        "none",
        "bytes",
        "empty",
        "truncated",
        "version-ff",
        "zero-trace",
        "zero-parent",
        "uppercase",
        "version-00-with-more",
        "short-trace",
        "leading-space",
    ],
)
def test_anything_else_gives_none(value: object) -> None:
    assert TraceParent.trace_id(value) is None
