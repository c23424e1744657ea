import asyncio
import dataclasses
import threading

import pytest

from app.Contexts.Shared.Infrastructure.Http.Context.InvalidTraceId import InvalidTraceId
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId


def test_outside_any_scope_nothing_is_known() -> None:
    assert RequestContext.get_trace_id() is None
    assert RequestContext.get_client_ip() is None


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


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 129, "", "ünïcode-trace"])
def test_a_trace_id_that_could_not_travel_is_refused(bad: str) -> None:
    with pytest.raises(InvalidTraceId), RequestContext.scope(trace_id=bad):
        pass


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
