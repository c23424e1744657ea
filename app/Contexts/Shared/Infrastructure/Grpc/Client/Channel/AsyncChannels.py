from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeAlias

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelFactory import ChannelFactory
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.GrpcAioPoller import GrpcAioPoller
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SettledCoroutine import SettledCoroutine
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SyncChannel import MULTICALLABLES
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

_Callables: TypeAlias = "dict[GrpcMethod, Any]"
_Entry: TypeAlias = "tuple[grpc.aio.Channel, _Callables, AsyncGenerator[None, None]]"
_LoopTest: TypeAlias = "Callable[[asyncio.AbstractEventLoop], bool]"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _close_now(channel: grpc.aio.Channel) -> None:
    """Close an aio channel without an event loop to await on.

    Without a grace period ``grpc.aio.Channel.close()`` never waits: it cancels
    the active calls and destroys the channel, so it can run right here.
    """
    SettledCoroutine.result(channel.close(None))


async def _until_loop_ends(
    owner: weakref.ref[AsyncChannels],
    loop: asyncio.AbstractEventLoop,
    guarded: weakref.ref[grpc.aio.Channel],
) -> AsyncGenerator[None, None]:
    """Started on the loop ``guarded`` belongs to, it closes that channel when the loop ends.

    An event loop finalizes the async generators started on it when it shuts
    down (``loop.shutdown_asyncgens()``, which ``asyncio.run``, ``asyncio.Runner``
    and pytest-asyncio call before closing the loop), so the ``finally`` below
    runs inside that loop, once its tasks are done. Only weak references are
    held: a channel closed and dropped earlier is not kept alive by its guard.
    """
    try:
        yield
    finally:
        channels, channel = owner(), guarded()
        if channels is not None and channel is not None:
            channels._loop_ended(loop, channel)


class AsyncChannels:
    """One ``grpc.aio`` channel per event loop, created inside that loop.

    An aio channel belongs to the loop it was created in; using it from another
    (the classic: a client built before ``asyncio.run``, or reused by a second
    ``asyncio.run``) fails with "attached to a different loop" (grpc issue
    32480). So channels are opened lazily per running loop and reused by every
    call on it, and each is closed when its loop shuts down (``_until_loop_ends``).
    A loop closed without ``shutdown_asyncgens()`` has its channel closed when
    the next loop opens one, before a fork, or at ``close()``.

    Fork: before it, the channels of loops that are not running are closed, so
    that grpc.aio's poller thread can stop (see ``GrpcAioPoller``); in the
    child, every inherited channel is let go of unclosed (see ``AfterFork``)
    and each loop opens a new one on first use.
    """

    def __init__(self, settings: GrpcClientSettings) -> None:
        self._settings = settings
        self._by_loop: dict[asyncio.AbstractEventLoop, _Entry] = {}
        self._lock = threading.Lock()
        self._closed = False
        AfterFork.register(
            self, before=AsyncChannels._close_idle_loops, in_child=AsyncChannels._forget_inherited
        )

    @staticmethod
    def usable() -> bool:
        """False in a child forked while grpc.aio ran: ``call_async`` must not use these then."""
        return GrpcAioPoller.usable

    def multicallable(self, method: GrpcMethod) -> Any:
        """This loop's multicallable for the method, of its kind (``SyncChannel``'s)."""
        loop = asyncio.get_running_loop()
        entry = self._by_loop.get(loop)
        if entry is None:
            entry = self._open(loop)
        channel, callables, _ = entry
        found = callables.get(method)
        if found is None:
            found = callables[method] = getattr(channel, MULTICALLABLES[method.kind])(
                method.path,
                _registered_method=True,
            )
        return found

    def connected(self) -> bool:
        """Whether this loop's channel is READY now, without making it connect."""
        entry = self._by_loop.get(asyncio.get_running_loop())
        if entry is None:
            return False
        return entry[0].get_state(try_to_connect=False) is grpc.ChannelConnectivity.READY

    def channel(self) -> grpc.aio.Channel:
        """This loop's channel itself, for what a multicallable cannot do: wait to connect."""
        loop = asyncio.get_running_loop()
        return (self._by_loop.get(loop) or self._open(loop))[0]

    def _open(self, loop: asyncio.AbstractEventLoop) -> _Entry:
        with self._lock:
            if self._closed:
                raise GrpcClientClosed(f"client for {self._settings.target} is closed")
            ended = self._take_where(lambda other: other.is_closed())
            channel = ChannelFactory.aio(self._settings)
            guard = _until_loop_ends(weakref.ref(self), loop, weakref.ref(channel))
            entry = self._by_loop[loop] = (channel, {}, guard)
        SettledCoroutine.result(guard.asend(None))
        for channel in ended:
            _close_now(channel)
        return entry

    def _loop_ended(self, loop: asyncio.AbstractEventLoop, channel: grpc.aio.Channel) -> None:
        with self._lock:
            entry = self._by_loop.get(loop)
            if entry is None or entry[0] is not channel:
                return
            del self._by_loop[loop]
        _close_now(channel)

    def _close_idle_loops(self) -> None:
        """Close the channels of loops not running now; theirs reopen on the next call."""
        with self._lock:
            idle = self._take_where(lambda loop: not loop.is_running())
        for channel in idle:
            _close_now(channel)

    def _take_where(self, taken: _LoopTest) -> list[grpc.aio.Channel]:
        """Remove the entries of the loops ``taken`` picks; the caller holds the lock."""
        loops = [loop for loop in self._by_loop if taken(loop)]
        return [self._by_loop.pop(loop)[0] for loop in loops]

    def _forget_inherited(self) -> None:
        AfterFork.abandon(self._by_loop)
        self._lock = threading.Lock()
        self._by_loop = {}

    def close(self) -> None:
        for loop, channel in self._take_all().items():
            self._close_on(loop, channel)

    def _take_all(self) -> dict[asyncio.AbstractEventLoop, grpc.aio.Channel]:
        with self._lock:
            self._closed = True
            taken, self._by_loop = self._by_loop, {}
        return {loop: channel for loop, (channel, _, _) in taken.items()}

    @staticmethod
    def _close_on(loop: asyncio.AbstractEventLoop, channel: grpc.aio.Channel) -> None:
        if loop.is_running() and loop is not _running_loop():
            try:
                loop.call_soon_threadsafe(_close_now, channel)
            except RuntimeError:
                _close_now(channel)
            return
        _close_now(channel)
