"""Process lifecycle: work redone in a forked child, and objects closed at exit."""

import os
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Self, TypeAlias, TypeVar

Owner = TypeVar("Owner")
_Hook: TypeAlias = "Callable[[Any], None] | None"
_Hooks: TypeAlias = "tuple[_Hook, _Hook]"


class AfterFork:
    """Runs the ``os.fork()`` hooks of everything that holds threads, locks or grpc channels.

    A forked child is a copy of one thread of its parent: threads are gone,
    locks another thread held stay locked for good, counters still count work
    that will never finish there, and grpc channels still point at grpc-core
    state (sockets, pollers, completion queues) the parent keeps using. Each
    holder registers what to do with it here, and is held weakly, so a client
    that is garbage collected needs no unregistering:

    * ``before(owner)`` runs in the parent just before the fork, newest
      registration first (as ``os.register_at_fork`` runs its own), so a
      class's hook registered at import runs after those of its instances;
    * ``in_child(owner)`` runs in the child, oldest first; that is where locks
      are made anew, counters reset and inherited grpc objects let go of.

    An inherited grpc object must not be closed in the child nor even garbage
    collected there: a sync channel's finalizer closes it in grpc-core and
    waits for calls only the parent's threads could finish
    (``grpc/_channel.py``, ``_ChannelCallState.__del__``), and an aio channel's
    shuts grpc.aio down, joining a poller thread the child does not have
    (``_cygrpc/aio/grpc_aio.pyx.pxi``, ``shutdown_grpc_aio``). ``abandon`` keeps
    such objects referenced for the rest of the process instead.

    Hooks registered while a fork is under way wait for it: the registry's
    lock is held from the last ``before`` hook until the fork is over.
    """

    _hooks: ClassVar["weakref.WeakKeyDictionary[Any, _Hooks]"] = weakref.WeakKeyDictionary()
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _installed: ClassVar[bool] = False
    _abandoned: ClassVar[list[object]] = []

    @classmethod
    def register(
        cls,
        owner: Owner,
        *,
        before: Callable[[Owner], None] | None = None,
        in_child: Callable[[Owner], None] | None = None,
    ) -> None:
        """Run these hooks for ``owner`` at every fork while it lives; a second call replaces them.

        ``owner`` must be hashable and weakly referenceable (any plain object or
        class is). Exceptions a hook raises go to ``sys.unraisablehook``, as
        ``os.register_at_fork`` reports them.
        """
        with cls._lock:
            if not cls._installed:
                os.register_at_fork(
                    before=cls._before,
                    after_in_parent=cls._after_in_parent,
                    after_in_child=cls._after_in_child,
                )
                cls._installed = True
            cls._hooks[owner] = (before, in_child)

    @classmethod
    def abandon(cls, *inherited: object) -> None:
        """Keep ``inherited`` referenced until the process ends, so nothing finalizes it here."""
        cls._abandoned.extend(inherited)

    @classmethod
    def _before(cls) -> None:
        try:
            for owner, (before, _) in reversed(cls._snapshot()):
                if before is not None:
                    before(owner)
        finally:
            cls._lock.acquire()

    @classmethod
    def _after_in_parent(cls) -> None:
        cls._lock.release()

    @classmethod
    def _after_in_child(cls) -> None:
        cls._lock = threading.Lock()
        for owner, (_, in_child) in cls._snapshot():
            if in_child is not None:
                in_child(owner)

    @classmethod
    def _snapshot(cls) -> list[tuple[Any, _Hooks]]:
        """The live owners and their hooks, held strongly while they run."""
        with cls._lock:
            return list(cls._hooks.items())


class ClosesOnExit(ABC):
    """``with`` and ``async with`` for anything that holds connections and must let go of them.

    Leaving the block closes, however it is left; written once here so every
    holder of connections behaves alike and states only how it closes.
    """

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    async def aclose(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
