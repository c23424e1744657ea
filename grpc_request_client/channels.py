"""gRPC channels: one per set of settings, shared by clients, closed when idle, fork-safe."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import importlib
import math
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Coroutine
from time import monotonic
from typing import Any, ClassVar, TypeAlias, TypeVar

import grpc
import grpc.aio

from grpc_request_client.blocking import running_loop
from grpc_request_client.errors import (
    GrpcClientClosed,
    InvalidGrpcClientSettings,
    InvalidGrpcTimeout,
)
from grpc_request_client.lifecycle import AfterFork
from grpc_request_client.methods import GrpcMethod
from grpc_request_client.options import MAX_SECONDS, TimeoutSeconds
from grpc_request_client.resilience import CircuitBreaker, Clock
from grpc_request_client.security import BearerTokenPlugin
from grpc_request_client.settings import GrpcClientSettings

# grpc-core lends one connection (a subchannel) to every channel with equal arguments
# through a process-wide pool, unless a channel asks for a pool of its own
# (GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL in grpc/impl/channel_arg_names.h).
LOCAL_SUBCHANNEL_POOL = "grpc.use_local_subchannel_pool"


class ChannelFactory:
    """The one place that turns settings into grpc channels, blocking or aio.

    Keeping both kinds here means transport concerns (credentials, balancing,
    keepalive) are decided once and cannot drift between ``call`` and
    ``call_async``. Without TLS settings the channel is plaintext. No default
    compression is set on a channel: grpc would let it beat a call's own choice,
    so compression travels with each call (see ``GrpcInvocationFactory``).

    In a forked child every channel gets a subchannel pool of its own: the
    process-wide one still holds the parent's connections, whose sockets
    grpc-core refuses to use in the child, so a call lent one fails UNAVAILABLE
    with "sendmsg: Wrong file descriptor generation", or CANCELLED with "Closed
    on fork" (12 children in 160 failed their first call so, with grpcio
    1.85). An explicit ``grpc.use_local_subchannel_pool`` option is kept.
    """

    _forked: ClassVar[bool] = False

    @staticmethod
    def sync(settings: GrpcClientSettings) -> grpc.Channel:
        credentials = ChannelFactory._credentials(settings)
        if credentials is None:
            return grpc.insecure_channel(
                settings.target,
                options=ChannelFactory._options(settings),
            )
        return grpc.secure_channel(
            settings.target,
            credentials,
            options=ChannelFactory._options(settings),
        )

    @staticmethod
    def aio(settings: GrpcClientSettings) -> grpc.aio.Channel:
        credentials = ChannelFactory._credentials(settings)
        if credentials is None:
            return grpc.aio.insecure_channel(
                settings.target,
                options=ChannelFactory._options(settings),
            )
        return grpc.aio.secure_channel(
            settings.target,
            credentials,
            options=ChannelFactory._options(settings),
        )

    @staticmethod
    def _options(settings: GrpcClientSettings) -> tuple[tuple[str, object], ...]:
        options = settings.channel_options()
        if not ChannelFactory._forked or any(key == LOCAL_SUBCHANNEL_POOL for key, _ in options):
            return options
        return (*options, (LOCAL_SUBCHANNEL_POOL, 1))

    @staticmethod
    def _in_child(factory: type[ChannelFactory]) -> None:
        factory._forked = True

    @staticmethod
    def _credentials(settings: GrpcClientSettings) -> grpc.ChannelCredentials | None:
        """TLS channel credentials, with the bearer token composed in as call credentials."""
        tls = settings.tls
        if tls is None:
            return None
        channel = grpc.ssl_channel_credentials(
            tls.root_certificates, tls.private_key, tls.certificate_chain
        )
        if settings.bearer_token is None:
            return channel
        bearer = grpc.metadata_call_credentials(
            BearerTokenPlugin(settings.bearer_token), name="bearer_token"
        )
        return grpc.composite_channel_credentials(channel, bearer)


AfterFork.register(ChannelFactory, in_child=ChannelFactory._in_child)


# grpc.aio's poller is a plain threading.Thread whose target is _poll_wrapper, so Python
# names it "Thread-N (_poll_wrapper)" (_cygrpc/aio/completion_queue.pyx.pxi).
_POLLER_NAME_ENDS = "(_poll_wrapper)"
# How long a fork waits for a poller thread to finish exiting. grpcio's shutdown returns
# once the poller has seen the queue's shutdown, while the thread may still be leaving
# grpc-core; a child forked then inherits a lock it held and hangs in its first channel.
_EXIT_WAIT_SECONDS = 0.25


class GrpcAioPoller:
    """Whether grpc.aio can work in this process, which a fork at the wrong time takes away.

    grpc.aio hands every completion to asyncio through one poller thread per
    process, started by the first aio channel and joined once the last one is
    deallocated (the reference count in ``_cygrpc/aio/grpc_aio.pyx.pxi``). A
    child forked while that thread ran inherits the count but not the thread:
    its aio calls never complete, or grpc-core aborts the process
    (``Check failed: next_worker->state == KICKED`` in ``ev_epoll1_linux.cc``),
    and grpcio offers no way to start it again. ``AsyncChannels`` closes the
    channels of loops that are not running before a fork so that the thread is
    gone by then; what keeps it alive is an aio channel of a loop still running
    (a fork from inside a coroutine, or a loop in another thread), or any
    grpc.aio object the application made and still holds (a ``GrpcResponse``
    holds none). Then ``usable`` is false in
    the child, and ``call_async`` goes through the blocking API on a worker
    thread instead.
    """

    _ran_at_fork: ClassVar[bool] = False
    # A plain attribute rather than a method: every ``call_async`` reads it.
    usable: ClassVar[bool] = True

    @staticmethod
    def _note(poller: type[GrpcAioPoller]) -> None:
        """Before a fork: let a stopping poller finish; note whether one still runs.

        A poller that still serves a running loop makes the fork wait
        ``_EXIT_WAIT_SECONDS`` before it is noted as running.
        """
        if poller._pollers():
            # A closed channel caught in a reference cycle (a cancelled task's frame, say)
            # is deallocated, and so lets the poller stop, only when the cycle is collected.
            gc.collect()
        for thread in poller._pollers():
            thread.join(_EXIT_WAIT_SECONDS)
        poller._ran_at_fork = bool(poller._pollers())

    @staticmethod
    def _pollers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.endswith(_POLLER_NAME_ENDS)]

    @staticmethod
    def _inherit(poller: type[GrpcAioPoller]) -> None:
        poller.usable = poller.usable and not poller._ran_at_fork


# Registered at import, before any channel's hooks: AfterFork runs ``before`` hooks newest
# first, so this looks for the poller after every AsyncChannels has closed what it could.
AfterFork.register(GrpcAioPoller, before=GrpcAioPoller._note, in_child=GrpcAioPoller._inherit)


T = TypeVar("T")


class SettledCoroutine:
    """Runs a coroutine that has nothing left to wait for, without an event loop.

    Some grpc.aio coroutines only wait when there is something to wait for: an
    aio channel's ``close()`` with no grace period, or a finished call's
    ``initial_metadata()`` and ``trailing_metadata()``. Driving them by hand lets
    synchronous code use them (``close()`` from anywhere, ``response.metadata()``
    after the loop has ended) and spares the hot path two awaits per call.
    """

    @staticmethod
    def result(coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            coroutine.send(None)
        except StopIteration as finished:
            value: T = finished.value
            return value
        coroutine.close()
        raise RuntimeError(f"{coroutine!r} had to wait, so it cannot run synchronously")


# grpc-core's READY, as grpc/_common.py maps cygrpc's connectivity states.
_READY = 2
# The channel method that makes each call kind's multicallable.
MULTICALLABLES = {
    "unary": "unary_unary",
    "client_stream": "stream_unary",
    "server_stream": "unary_stream",
    "bidi_stream": "stream_stream",
}


class SyncChannel:
    """The client's one blocking channel: opened on first use, shared by every thread.

    grpc channels are thread-safe and multiplex calls over one HTTP/2
    connection, so one per client is right. Multicallables are built once per
    method, like a generated stub's, since building one per call is measurable;
    ``_registered_method`` is what generated stubs pass too, so the path is
    interned in grpc-core once instead of per call. They are kept by the
    method's ``key`` (its path and kind), never by anything a client or a
    request class made, so the channel, shared by every client of its
    settings, holds one per method those clients call, however many clients
    came and went. The lock only guards opening and closing; the hot path is a
    dict lookup.

    A forked child lets go of the channel it inherited, without closing it
    (see ``AfterFork``), and opens its own on first use: the inherited one
    shares its connection and grpc-core state with the parent.
    """

    def __init__(self, settings: GrpcClientSettings) -> None:
        self._settings = settings
        self._channel: grpc.Channel | None = None
        self._callables: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        AfterFork.register(self, in_child=SyncChannel._forget_inherited)

    def multicallable(self, method: GrpcMethod) -> Any:
        """The method's multicallable, of its kind (``stream_stream`` for a bidi method...)."""
        found = self._callables.get(method.key)
        if found is None:
            found = self._create(method)
        return found

    def kept(self) -> int:
        """How many multicallables the channel keeps now: one per method called on it."""
        return len(self._callables)

    def connected(self) -> bool:
        """Whether the channel is READY now, without making it connect.

        grpcio's blocking channel has no public getter for its state (its own
        ``_poll_connectivity`` reads it the same way); should that inner API
        go, the answer is ``True``, the one that proves nothing (``SendEvidence``).
        """
        channel = self._channel
        if channel is None:
            return False
        try:
            state = channel._channel.check_connectivity_state(False)  # type: ignore[attr-defined]
        except AttributeError:
            return True
        return bool(state == _READY)

    def channel(self) -> grpc.Channel:
        """The grpc channel itself, for what a multicallable cannot do: wait to connect."""
        with self._lock:
            return self._opened()

    def _create(self, method: GrpcMethod) -> Any:
        with self._lock:
            channel = self._opened()
            found = self._callables.get(method.key)
            if found is None:
                found = self._callables[method.key] = _multicallable(channel, method)
        return found

    def _opened(self) -> grpc.Channel:
        if self._closed:
            raise GrpcClientClosed(f"client for {self._settings.target} is closed")
        if self._channel is None:
            self._channel = ChannelFactory.sync(self._settings)
        return self._channel

    def _forget_inherited(self) -> None:
        AfterFork.abandon(self._channel, self._callables)
        self._lock = threading.Lock()
        self._channel = None
        self._callables = {}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            channel, self._channel = self._channel, None
            self._callables.clear()
        if channel is not None:
            channel.close()


def _multicallable(channel: grpc.Channel | grpc.aio.Channel, method: GrpcMethod) -> Any:
    """The method's multicallable on ``channel``, of its kind; it sends and takes bytes."""
    return getattr(channel, MULTICALLABLES[method.kind])(
        method.path,
        _registered_method=True,  # grpc-stubs predates it; generated stubs pass it
    )


_Callables: TypeAlias = "dict[str, Any]"
_Entry: TypeAlias = "tuple[grpc.aio.Channel, _Callables, AsyncGenerator[None, None]]"
_LoopTest: TypeAlias = "Callable[[asyncio.AbstractEventLoop], bool]"


# What grpc.aio hands a loop through its call_soon_threadsafe: the completion of one of its
# calls' operations (_cygrpc/aio/completion_queue.pyx.pxi).
_GRPC_AIO_COMPLETION = getattr(
    importlib.import_module("grpc._cython.cygrpc"), "_handle_callback_wrapper", None
)


class ClosedLoopCompletions:
    """grpc.aio's completions for an event loop that was closed: dropped, not logged as errors.

    grpc.aio (grpcio 1.85) hands the completion of a call's operation to the
    loop the call was made on with that loop's ``call_soon_threadsafe``, from
    whichever loop reads its poller's socket (``PollerCompletionQueue.
    _handle_events``, ``_cygrpc/aio/completion_queue.pyx.pxi``). A call still
    in flight when its loop was closed without ``shutdown_asyncgens()`` (a
    stream left open) ends later, when its channel is closed or at its
    deadline, and a closed loop's ``call_soon_threadsafe`` raises "Event loop
    is closed" into the live loop's handler, which logs "Exception in
    callback PollerCompletionQueue._handle_events" and leaves the completions
    queued behind it for its next wake-up. Nothing can run on a closed loop,
    so whenever a loop opens an aio channel here and before any is closed,
    every loop a channel was opened on that is closed now gets a
    ``call_soon_threadsafe`` that drops grpc.aio's completions and passes
    anything else to the loop's own, which raises as before (newer grpcio
    drops them itself). A loop that takes no instance attribute keeps
    grpc.aio's log, as does a grpcio whose completions go another way.
    """

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _loops: ClassVar[weakref.WeakSet[asyncio.AbstractEventLoop]] = weakref.WeakSet()

    @classmethod
    def watch(cls, loop: asyncio.AbstractEventLoop) -> None:
        """``loop`` has an aio channel of this library's now; those found closed are dropped.

        A call of a closed loop may also end at its deadline, with no channel
        closed: a loop opening a channel is when a closed one is most likely noticed.
        """
        with cls._lock:
            cls._loops.add(loop)
        cls.drop_closed()

    @classmethod
    def drop_closed(cls) -> None:
        """Drop grpc.aio's completions for every watched loop that is closed, from now on."""
        with cls._lock:
            closed = [loop for loop in cls._loops if loop.is_closed()]
            for loop in closed:
                cls._loops.discard(loop)
        for loop in closed:
            dropping = ClosedLoopCompletions._dropping(loop.call_soon_threadsafe)
            with contextlib.suppress(AttributeError):  # a loop class without instance attributes
                loop.call_soon_threadsafe = dropping  # type: ignore[method-assign, assignment]

    @staticmethod
    def _new_lock(completions: type[ClosedLoopCompletions]) -> None:
        completions._lock = threading.Lock()

    @staticmethod
    def _dropping(call_soon_threadsafe: Callable[..., Any]) -> Callable[..., Any]:
        def dropping(callback: Callable[..., object], *args: Any, **kwargs: Any) -> Any:
            if callback is _GRPC_AIO_COMPLETION:
                return None  # for a call of a loop that will never run again
            return call_soon_threadsafe(callback, *args, **kwargs)

        return dropping


AfterFork.register(ClosedLoopCompletions, in_child=ClosedLoopCompletions._new_lock)


def _close_now(channel: grpc.aio.Channel) -> None:
    """Close an aio channel without an event loop to await on.

    Without a grace period ``grpc.aio.Channel.close()`` never waits: it cancels
    the active calls and destroys the channel, so it can run right here. Their
    completions go to the loops the calls were made on: a closed one's are
    dropped (``ClosedLoopCompletions``).
    """
    ClosedLoopCompletions.drop_closed()
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
        found = callables.get(method.key)
        if found is None:
            found = callables[method.key] = _multicallable(channel, method)
        return found

    def kept(self) -> int:
        """How many multicallables the channels keep now, on every loop together."""
        with self._lock:
            return sum(len(callables) for _, callables, _ in self._by_loop.values())

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
        ClosedLoopCompletions.watch(loop)
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
        if loop.is_running() and loop is not running_loop():
            try:
                loop.call_soon_threadsafe(_close_now, channel)
            except RuntimeError:
                _close_now(channel)
            return
        _close_now(channel)


class SharedChannel:
    """What every client with the same settings shares: the connection and the breaker.

    The circuit breaker lives here rather than in a client because a breaker
    per short-lived client would never see enough failures to trip.
    ``holders`` and ``idle_since`` belong to the registry, which changes them
    under its lock.
    """

    def __init__(self, settings: GrpcClientSettings, clock: Clock) -> None:
        self.sync = SyncChannel(settings)
        self.aio = AsyncChannels(settings)
        policy = settings.circuit_breaker
        self.breaker = CircuitBreaker(policy, clock) if policy.enabled else None
        self.holders = 0
        self.idle_since: float | None = None

    def close(self) -> None:
        self.sync.close()
        self.aio.close()


# Closing a client only lets go of a shared channel, which nothing tells a wait about,
# so a wait looks up this often to see whether its client was closed meanwhile.
_CLOSE_CHECK_SECONDS = 0.1


class ChannelReadiness:
    """Waits until a client's channel has connected, for start-up checks.

    The answer is a bool, not an exception: a server that is not up (yet) is the
    server's state, which this client reports as a value, as it reports a failed
    call as a response. The caller decides what "not ready" means (exit, log and
    carry on, wait longer); the ``GrpcClientError`` tree stays for mistakes in the
    calling code, so a bad timeout or a closed client still raises.

    The channel waited on is the one calls use, so a successful wait leaves the
    connection open for the first call. A client closed during the wait answers
    ``False`` within ``_CLOSE_CHECK_SECONDS``, rather than holding its caller (a
    shutdown, say) until the timeout.
    """

    def __init__(
        self, shared: SharedChannel, closed_error: Callable[[], GrpcClientClosed | None]
    ) -> None:
        self._shared = shared
        self._closed_error = closed_error

    def wait(self, timeout: float) -> bool:
        deadline = monotonic() + self._seconds(timeout)
        ready = grpc.channel_ready_future(self._shared.sync.channel())
        try:
            while self._closed_error() is None and (left := deadline - monotonic()) > 0:
                try:
                    ready.result(timeout=min(left, _CLOSE_CHECK_SECONDS))
                except grpc.FutureTimeoutError:
                    continue
                return True
        finally:
            ready.cancel()
        return False

    async def wait_async(
        self,
        timeout: float,  # noqa: ASYNC109  # running out of time is the answer, not a cancellation
    ) -> bool:
        if not self._shared.aio.usable():
            return await asyncio.to_thread(self.wait, timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._seconds(timeout)
        ready = asyncio.ensure_future(self._shared.aio.channel().channel_ready())
        try:
            while self._closed_error() is None and (left := deadline - loop.time()) > 0:
                await asyncio.wait((ready,), timeout=min(left, _CLOSE_CHECK_SECONDS))
                if ready.done():
                    # grpc raises UsageError here when the channel itself was closed.
                    return ready.exception() is None
        finally:
            ready.cancel()
        return False

    def _seconds(self, timeout: object) -> float:
        """The call rule for the timeout, then the closed check, before anything is opened."""
        seconds = TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout")
        closed = self._closed_error()
        if closed is not None:
            raise closed
        return seconds


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

    _default: ChannelRegistry | None = None
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
    def default(cls) -> ChannelRegistry:
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
    def _new_default_lock(registry: type[ChannelRegistry]) -> None:
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
