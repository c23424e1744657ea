import pytest

from grpc_request_client import RequestContext
from grpc_request_client.context import IncomingIds, TraceId

NAMES = {"trace": ("trace",), "user": ("user", "fallback-user"), "correlation": ("correlation",)}


def test_valid_ids_are_kept_as_sent() -> None:
    values = {"trace": "trace-in-0001", "user": "ada", "correlation": "corr-in-0001"}

    assert IncomingIds.read(values, **NAMES) == ("trace-in-0001", "ada", "corr-in-0001")


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"trace": "bad id", "user": "bad id", "correlation": "bad id"},
        {"trace": b"trace-in-0001", "user": b"ada", "correlation": b"corr-in-0001"},
    ],
    ids=["missing", "malformed", "bytes"],
)
def test_a_missing_or_bad_user_id_is_dropped_and_the_other_ids_are_made_afresh(
    values: dict[str, object],
) -> None:
    ids = IncomingIds.read(values, **NAMES)

    assert ids.user_id is None
    assert TraceId.is_valid(ids.trace_id)
    assert TraceId.is_valid(ids.correlation_id)
    assert ids.trace_id != ids.correlation_id
    assert ids.trace_id not in values.values()


@pytest.mark.parametrize("sendable", ["job 42", "x" * 129, "ada+tag@example.com"])
def test_ids_code_may_give_are_still_dropped_when_they_come_from_outside(sendable: str) -> None:
    values = {"trace": sendable, "user": sendable, "correlation": sendable}

    ids = IncomingIds.read(values, **NAMES)

    assert sendable not in ids
    assert TraceId.is_valid(ids.trace_id)


@pytest.mark.parametrize(
    ("values", "user_id"),
    [
        ({"user": "first", "fallback-user": "second"}, "first"),
        ({"fallback-user": "second"}, "second"),
        ({"user": "not valid", "fallback-user": "second"}, "second"),
    ],
    ids=["first-name-wins", "fallback", "invalid-first-falls-back"],
)
def test_the_first_valid_value_among_the_names_wins(
    values: dict[str, object], user_id: str
) -> None:
    assert IncomingIds.read(values, **NAMES).user_id == user_id


def test_each_scope_of_the_same_ids_is_the_same_context() -> None:
    ids = IncomingIds.read({"user": "ada"}, **NAMES)

    with ids.scope("10.0.0.7") as first:
        pass
    with ids.scope("10.0.0.7") as second:
        assert RequestContext.get_user_id() == "ada"

    assert first == second
    assert first.client_ip == "10.0.0.7"


def test_a_valid_traceparent_wins_over_every_trace_name() -> None:
    values = {
        "trace": "trace-in-0001",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }

    assert IncomingIds.read(values, **NAMES).trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_an_invalid_traceparent_gives_way_to_the_trace_names() -> None:
    values = {"trace": "trace-in-0001", "traceparent": "ff-not-a-trace"}

    assert IncomingIds.read(values, **NAMES).trace_id == "trace-in-0001"
