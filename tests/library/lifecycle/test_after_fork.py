import gc
import weakref

from grpc_request_client.lifecycle import AfterFork
from tests.Support.ForkedChild import ForkedChild


class Holder:
    """Something that holds a resource and writes down which of its fork hooks ran, and where."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def before(self) -> None:
        self.log.append(f"before {self.name}")

    def in_child(self) -> None:
        self.log.append(f"child {self.name}")


def test_child_hooks_run_in_the_child_only_oldest_first() -> None:
    log: list[str] = []
    first, second = Holder("first", log), Holder("second", log)
    AfterFork.register(first, in_child=Holder.in_child)
    AfterFork.register(second, in_child=Holder.in_child)

    child = ForkedChild.run(lambda: list(log))

    assert child.ended_well(), child
    assert child.returned == ["child first", "child second"]
    assert log == []


def test_before_hooks_run_in_the_parent_newest_first() -> None:
    log: list[str] = []
    first, second = Holder("first", log), Holder("second", log)
    AfterFork.register(first, before=Holder.before)
    AfterFork.register(second, before=Holder.before)

    child = ForkedChild.run(lambda: list(log))

    assert child.ended_well(), child
    assert log == ["before second", "before first"]
    assert child.returned == log


def test_registering_again_replaces_the_hooks() -> None:
    log: list[str] = []
    holder = Holder("holder", log)
    AfterFork.register(holder, before=Holder.before, in_child=Holder.in_child)
    AfterFork.register(holder, in_child=Holder.in_child)

    child = ForkedChild.run(lambda: list(log))

    assert child.returned == ["child holder"]
    assert log == []


def test_an_owner_is_held_weakly_and_its_hooks_go_with_it() -> None:
    log: list[str] = []
    holder = Holder("gone", log)
    AfterFork.register(holder, before=Holder.before, in_child=Holder.in_child)
    collected = weakref.ref(holder)
    del holder
    gc.collect()

    child = ForkedChild.run(lambda: list(log))

    assert collected() is None
    assert child.returned == []
    assert log == []


def test_abandoned_objects_outlive_their_last_reference() -> None:
    def work() -> bool:
        inherited = Holder("inherited", [])
        still_there = weakref.ref(inherited)
        AfterFork.abandon(inherited)
        del inherited
        gc.collect()
        return still_there() is not None

    child = ForkedChild.run(work)

    assert child.ended_well(), child
    assert child.returned is True
