from __future__ import annotations

import asyncio
import threading
from typing import TypeAlias

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SettledCoroutine import SettledCoroutine
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelFactory import ChannelFactory
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod

_Callables: TypeAlias = "dict[GrpcMethod, grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]]"
_Entry: TypeAlias = "tuple[grpc.aio.Channel, _Callables]"


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


class AsyncChannels:
    """One ``grpc.aio`` channel per event loop, created inside that loop.

    An aio channel belongs to the loop it was created in; using it from another
    (the classic: a client built before ``asyncio.run``, or reused by a second
    ``asyncio.run``) fails with "attached to a different loop" (grpc issue
    32480). So channels are opened lazily per running loop and reused by every
    call on it; those of loops that have ended are closed when the next one
    opens, or at ``close()``.
    """

    def __init__(self, settings: GrpcClientSettings) -> None:
        self._settings = settings
        self._by_loop: dict[asyncio.AbstractEventLoop, _Entry] = {}
        self._lock = threading.Lock()
        self._closed = False

    def unary_unary(self, method: GrpcMethod) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
        loop = asyncio.get_running_loop()
        entry = self._by_loop.get(loop)
        if entry is None:
            entry = self._open(loop)
        channel, callables = entry
        found = callables.get(method)
        if found is None:
            found = callables[method] = channel.unary_unary(
                method.path,
                _registered_method=True,  # type: ignore[call-arg]  # grpc-stubs predates it
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
            for ended in [other for other in self._by_loop if other.is_closed()]:
                _close_now(self._by_loop.pop(ended)[0])
            channel = ChannelFactory.aio(self._settings)
            entry = self._by_loop[loop] = (channel, {})
        return entry

    def close(self) -> None:
        for loop, channel in self._take_all().items():
            self._close_on(loop, channel)

    def _take_all(self) -> dict[asyncio.AbstractEventLoop, grpc.aio.Channel]:
        with self._lock:
            self._closed = True
            taken, self._by_loop = self._by_loop, {}
        return {loop: channel for loop, (channel, _) in taken.items()}

    @staticmethod
    def _close_on(loop: asyncio.AbstractEventLoop, channel: grpc.aio.Channel) -> None:
        if loop.is_running() and loop is not _running_loop():
            try:
                loop.call_soon_threadsafe(_close_now, channel)
            except RuntimeError:
                _close_now(channel)
            return
        _close_now(channel)
