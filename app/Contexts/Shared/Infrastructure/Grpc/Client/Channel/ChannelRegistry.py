import atexit
import math
import threading
import time

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SharedChannel import SharedChannel
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import MAX_SECONDS
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

_Key = tuple[GrpcClientSettings, Clock]


class ChannelRegistry:
    """Lets every client with the same settings share one connection, counted by reference.

    Services often build a client per HTTP request; a channel each would mean a
    TCP (and TLS) handshake per request. Here a client acquires the channel for
    its settings and releases it on close; the last release does not close it
    at once but lets it linger, so the next short-lived client finds it open.
    A daemon thread closes channels idle past ``linger`` seconds, and the
    default registry closes its idle ones at interpreter exit. ``linger=0``
    closes on the last release, for code that wants close() to mean "gone now".

    A forked child keeps the entries and their counts, since it inherited the
    clients that hold them, while each ``SharedChannel`` lets go of its grpc
    objects and reopens on first use (see ``AfterFork``). The reaper thread is
    not copied by a fork: the child starts its own on the next last release.
    """

    _default: "ChannelRegistry | None" = None
    _default_lock = threading.Lock()

    def __init__(self, linger: float = 60.0) -> None:
        if (
            isinstance(linger, bool)
            or not isinstance(linger, int | float)
            or not 0 <= linger <= MAX_SECONDS
        ):
            raise InvalidGrpcClientSettings(
                f"linger must be a number of seconds from 0 to {MAX_SECONDS:.0e}, got {linger!r}"
            )
        self._linger = linger
        self._entries: dict[_Key, SharedChannel] = {}
        self._changed = threading.Condition()
        self._reaper: threading.Thread | None = None
        AfterFork.register(self, in_child=ChannelRegistry._without_inherited_threads)

    @classmethod
    def default(cls) -> "ChannelRegistry":
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
                atexit.register(cls._default.close_idle)
            return cls._default

    def acquire(self, settings: GrpcClientSettings, clock: Clock) -> SharedChannel:
        with self._changed:
            entry = self._entries.get((settings, clock))
            if entry is None:
                entry = self._entries[(settings, clock)] = SharedChannel(settings, clock)
            entry.holders += 1
            entry.idle_since = None
            return entry

    def release(self, entry: SharedChannel) -> None:
        with self._changed:
            entry.holders -= 1
            if entry.holders > 0:
                return
            if self._linger > 0:
                entry.idle_since = time.monotonic()
                self._start_reaper()
                self._changed.notify()
                return
            self._forget(entry)
        entry.close()

    def close_idle(self) -> int:
        """Close every channel no client holds now; returns how many were closed."""
        return self._close_idle_since(math.inf)

    def open_channels(self) -> int:
        with self._changed:
            return len(self._entries)

    def _close_idle_since(self, cutoff: float) -> int:
        with self._changed:
            idle = [
                entry
                for entry in self._entries.values()
                if entry.idle_since is not None and entry.idle_since + self._linger <= cutoff
            ]
            for entry in idle:
                self._forget(entry)
        for entry in idle:
            entry.close()
        return len(idle)

    def _without_inherited_threads(self) -> None:
        self._changed = threading.Condition()
        self._reaper = None

    @staticmethod
    def _new_default_lock(registry: type["ChannelRegistry"]) -> None:
        registry._default_lock = threading.Lock()

    def _forget(self, entry: SharedChannel) -> None:
        self._entries = {key: kept for key, kept in self._entries.items() if kept is not entry}

    def _start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(
                target=self._reap, name="grpc-channel-reaper", daemon=True
            )
            self._reaper.start()

    def _reap(self) -> None:
        while True:
            with self._changed:
                self._changed.wait(timeout=self._next_expiry())
            self._close_idle_since(time.monotonic())

    def _next_expiry(self) -> float | None:
        idle_since = [e.idle_since for e in self._entries.values() if e.idle_since is not None]
        if not idle_since:
            return None
        return max(0.0, min(idle_since) + self._linger - time.monotonic())


AfterFork.register(ChannelRegistry, in_child=ChannelRegistry._new_default_lock)
