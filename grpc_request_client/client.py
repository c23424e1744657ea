"""``GrpcClient``: runs request objects as unary calls and streams, sync and async."""

from collections.abc import Sequence
from typing import Any, Self, Unpack

from grpc_health.v1.health_pb2 import HealthCheckResponse

from grpc_request_client.blocking import BlockedLoopWarner, running_loop
from grpc_request_client.channels import ChannelReadiness, ChannelRegistry
from grpc_request_client.client_options import GrpcClientOptions
from grpc_request_client.declaration import DeclaredSettings, SettingCheck
from grpc_request_client.engine import CallEngine
from grpc_request_client.errors import GrpcClientClosed, InvalidGrpcClientSettings
from grpc_request_client.grpcio_transport import Attempt
from grpc_request_client.health import (
    HealthCheckGrpcRequest,
    HealthCheckResult,
    HealthWatchGrpcRequest,
)
from grpc_request_client.invocation import CallStep, GrpcInvocation, GrpcInvocationFactory
from grpc_request_client.lifecycle import ClosesOnExit
from grpc_request_client.metadata import MetadataSize
from grpc_request_client.request import GrpcRequest, ReplyT_co
from grpc_request_client.resilience import Bulkhead, CircuitBreaker, Clock, SystemClock
from grpc_request_client.response import GrpcResponse
from grpc_request_client.settings import GrpcClientSettings
from grpc_request_client.stages import GrpcCallLog, GrpcCallStage, GrpcClientView
from grpc_request_client.streams import AsyncGrpcStream, GrpcStream
from grpc_request_client.transport import GrpcTransport

_SYSTEM_CLOCK = SystemClock()
# The settings' own check for a collaborator that is an instance of its kind, or None.
_INSTANCE_OF_CLOCK = SettingCheck.instance(Clock)
_INSTANCE_OF_REGISTRY = SettingCheck.instance(ChannelRegistry)
_SEND, _SLEEP = CallStep.SEND, CallStep.SLEEP
Stages = Sequence[GrpcCallStage[Any]]


class GrpcClient(ClosesOnExit):
    """Runs ``GrpcRequest`` objects against one target and returns ``GrpcResponse`` values.

    Every check happens before anything is sent, and a mistake in the calling
    code is raised as a named ``GrpcClientError``; whatever happens after that
    (the server's answer, a deadline, a dropped connection, an open circuit)
    comes back as a response. A call passes the ``stages`` (``GrpcCallStage``:
    behaviour added around every call and attempt, outermost first, inside the
    built-in call log), the bulkhead, then the circuit breaker, then goes on
    the wire; a retryable failure is retried, all within one deadline fixed
    when the call is entered. Those decisions are made once, by ``CallEngine``,
    for ``call`` and ``call_async`` alike; the two only carry them out. Clients
    with equal settings share one connection and one breaker through a
    ``ChannelRegistry``.

    The call kind is the method's: ``call`` makes unary and client-streaming
    calls (a ``StreamingGrpcRequest`` sends many messages, one reply comes
    back); ``stream`` opens server-streaming and bidi calls, read as a
    ``GrpcStream`` (docs/streaming.md). Using one for the other's kind raises
    ``UnsupportedGrpcMethod`` naming the right one. A request that declares
    its reply class (``BaseGrpcRequest[User]``) makes, for type checkers,
    ``call`` a ``GrpcResponse[User]`` and ``stream`` a ``GrpcStream[User]``.
    """

    @DeclaredSettings.signed(GrpcClientSettings, after="target")
    def __init__(
        self,
        target: str,
        *,
        clock: Clock | None = None,
        channel_registry: ChannelRegistry | None = None,
        stages: Stages = (),
        **options: Unpack[GrpcClientOptions],
    ) -> None:
        """A client of ``target``; ``options`` are ``GrpcClientSettings``' fields, by keyword.

        ``help()`` and ``inspect.signature`` list every option with the type it
        takes and its default, derived from the fields, and mypy checks their
        names and types through ``GrpcClientOptions``, generated from the same
        fields. A misspelt or unusable option raises ``InvalidGrpcClientSettings``
        here, before anything connects, naming it (and the closest real option).
        ``clock`` (a ``Clock``) is what backoffs wait on; ``channel_registry``
        shares connections (``ChannelRegistry.default()`` unless given);
        ``stages`` (``GrpcCallStage``s, outermost first) add behaviour around
        every call and attempt (docs/extending.md).
        """
        self._open(GrpcClientSettings.create(target, **options), clock, channel_registry, stages)

    @classmethod
    def from_settings(
        cls,
        settings: GrpcClientSettings,
        *,
        clock: Clock | None = None,
        channel_registry: ChannelRegistry | None = None,
        stages: Stages = (),
    ) -> Self:
        """A client for settings made beforehand, as a registry of downstream services keeps them.

        The client ``GrpcClient(target, ...)`` builds from the same options,
        built by this class's own constructor, so a subclass gets its own
        behaviour too; its settings equal ``settings``. Raises
        ``InvalidGrpcClientSettings`` for anything but a ``GrpcClientSettings``.
        """
        if not isinstance(settings, GrpcClientSettings):
            raise InvalidGrpcClientSettings(
                f"settings must be a GrpcClientSettings, got {type(settings).__name__}; "
                "make one with GrpcClientSettings.create(target, ...)"
            )
        return cls(
            settings.target,
            clock=clock,
            channel_registry=channel_registry,
            stages=stages,
            **settings.keywords(),
        )

    def _open(
        self,
        settings: GrpcClientSettings,
        clock: Clock | None,
        channel_registry: ChannelRegistry | None,
        stages: Stages,
    ) -> None:
        _INSTANCE_OF_CLOCK(clock, "clock")
        _INSTANCE_OF_REGISTRY(channel_registry, "channel_registry")
        self._settings = settings
        self._clock = clock or self._default_clock()
        self._closed = False
        self._blocked_loop = BlockedLoopWarner()
        checked = checked_stages(stages)
        breaker = self._connect(channel_registry)
        try:
            self._start_engine(breaker, checked)
        except BaseException:
            self.close()  # gives the shared channel back: nothing else would
            raise

    @staticmethod
    def _default_clock() -> Clock:
        return _SYSTEM_CLOCK

    def _connect(self, channel_registry: ChannelRegistry | None) -> CircuitBreaker | None:
        """Take the shared channel and set ``self._attempt``; the breaker is the channel's."""
        self._registry = channel_registry or ChannelRegistry.default()
        self._shared = self._registry.acquire(self._settings, self._clock)
        self._attempt: GrpcTransport = Attempt(self._shared, self._closed_error)
        self._readiness = ChannelReadiness(self._shared, self._closed_error)
        return self._shared.breaker

    def _start_engine(self, breaker: CircuitBreaker | None, stages: Stages) -> None:
        """The bulkhead and the call engine over ``self._attempt``, whatever sends the attempts.

        Last, the stages that override ``attached`` get the client's view (its
        closed state read through ``_closed_error``, as the attempts read it).
        """
        settings = self._settings
        credentials = MetadataSize.of_bearer_token(settings.bearer_token)
        self._factory = GrpcInvocationFactory(settings, credentials)
        self._bulkhead = Bulkhead(settings.bulkhead, self._clock)
        self._engine = CallEngine(
            settings.target,
            self._bulkhead,
            breaker,
            settings.circuit_breaker.scope == "method",
            self._clock,
            stages=(GrpcCallLog(settings.target, settings.failure_log_levels), *stages),
            credentials=credentials,
        )
        self._view = GrpcClientView(settings.target, self._bulkhead, breaker, self._closed_error)
        self._engine.attach(self._view)

    @property
    def settings(self) -> GrpcClientSettings:
        return self._settings

    def call(self, request: GrpcRequest[ReplyT_co]) -> GrpcResponse[ReplyT_co]:
        """Run ``request`` to its outcome, blocking; see the class docstring for what is raised.

        On a thread running an event loop it warns (``EventLoopBlockedWarning``, once).
        """
        if running_loop() is not None:
            self._blocked_loop.warn()
        flow = self._engine.run(self._prepare(request, False, True))
        try:
            kind, seconds, invocation = next(flow)
            while True:
                try:
                    if kind is _SEND:
                        answer: object = self._attempt.send(invocation, seconds)
                    elif kind is _SLEEP:
                        self._clock.sleep(seconds)
                        answer = None
                    else:
                        answer = self._bulkhead.enter(seconds)
                except BaseException as error:
                    kind, seconds, invocation = flow.throw(error)
                else:
                    kind, seconds, invocation = flow.send(answer)
        except StopIteration as done:
            response: GrpcResponse[ReplyT_co] = done.value
            return response
        finally:
            flow.close()

    async def call_async(self, request: GrpcRequest[ReplyT_co]) -> GrpcResponse[ReplyT_co]:
        """``call`` for asyncio, on this event loop's channel; cancelling it cancels the call."""
        flow = self._engine.run(self._prepare(request, False, False))
        try:
            kind, seconds, invocation = next(flow)
            while True:
                try:
                    if kind is _SEND:
                        answer: object = await self._attempt.send_async(invocation, seconds)
                    elif kind is _SLEEP:
                        await self._clock.sleep_async(seconds)
                        answer = None
                    else:
                        answer = await self._bulkhead.enter_async(seconds)
                except BaseException as error:
                    kind, seconds, invocation = flow.throw(error)
                else:
                    kind, seconds, invocation = flow.send(answer)
        except StopIteration as done:
            response: GrpcResponse[ReplyT_co] = done.value
            return response
        finally:
            flow.close()

    def stream(self, request: GrpcRequest[ReplyT_co]) -> GrpcStream[ReplyT_co]:
        """Open a server-streaming or bidi call: a ``GrpcStream`` to read (and write) in ``with``.

        The request is checked now and a mistake raised now, as ``call`` does;
        the call starts when the ``with`` is entered (or at the first read or
        write), and its deadline runs from now. On a thread running an event
        loop it warns (``EventLoopBlockedWarning``, once).
        """
        if running_loop() is not None:
            self._blocked_loop.warn()
        invocation = self._prepare(request, True, True)
        return GrpcStream(
            invocation, self._engine.run(invocation), self._attempt, self._bulkhead, self._clock
        )

    def stream_async(self, request: GrpcRequest[ReplyT_co]) -> AsyncGrpcStream[ReplyT_co]:
        """``stream`` for asyncio: an ``AsyncGrpcStream`` for ``async with`` and ``async for``.

        Not a coroutine: the request is checked here, and the call starts on
        this event loop's channel when the ``async with`` is entered.
        """
        invocation = self._prepare(request, True, False)
        return AsyncGrpcStream(
            invocation, self._engine.run(invocation), self._attempt, self._bulkhead, self._clock
        )

    def _prepare(self, request: GrpcRequest, streams: bool, blocking: bool) -> GrpcInvocation:
        closed = self._closed_error()
        if closed is not None:
            raise closed
        return self._factory.build(request, self._clock.now(), streams, blocking)

    def _closed_error(self) -> GrpcClientClosed | None:
        """The error for a call on this client once closed; ``None`` while it is open."""
        if not self._closed:
            return None
        return GrpcClientClosed(f"client for {self._settings.target} is closed")

    def wait_until_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the connection calls use; ``False`` if it never came.

        For start-up checks. A bool because an absent server is a state to report,
        not a mistake to raise (see ``ChannelReadiness``); a bad timeout raises
        ``InvalidGrpcTimeout`` and a closed client ``GrpcClientClosed``. On a
        thread running an event loop it warns (``EventLoopBlockedWarning``, once).
        """
        if running_loop() is not None:
            self._blocked_loop.warn()
        return self._readiness.wait(timeout)

    async def wait_until_ready_async(
        self,
        timeout: float,  # noqa: ASYNC109  # running out of time is an answer (False), not a cancel
    ) -> bool:
        """``wait_until_ready`` for this event loop's channel, the one ``call_async`` uses here."""
        return await self._readiness.wait_async(timeout)

    def check_health(self, service: str = "", *, timeout: float | None = None) -> HealthCheckResult:
        """Ask the server's grpc.health.v1 service about ``service`` ("" is the whole server).

        The answer is a ``HealthCheckResult`` whatever the server does, even when it
        has no health service or cannot be reached; it is truthy only for SERVING, so
        ``if not client.check_health():`` catches every other outcome. ``timeout``
        (seconds) defaults to the client's ``default_timeout``; a probe usually wants
        far less.
        """
        request = HealthCheckGrpcRequest(service, timeout)
        return HealthCheckResult.from_response(service, self.call(request))

    async def check_health_async(
        self,
        service: str = "",
        *,
        timeout: float | None = None,  # noqa: ASYNC109  # the call's gRPC deadline, sent along
    ) -> HealthCheckResult:
        """``check_health`` through ``call_async``, on this event loop's channel."""
        request = HealthCheckGrpcRequest(service, timeout)
        return HealthCheckResult.from_response(service, await self.call_async(request))

    def watch_health(
        self, service: str = "", *, timeout: float | None = None
    ) -> GrpcStream[HealthCheckResponse]:
        """Watch ``service``'s serving status (grpc.health.v1 ``Watch``): a stream of changes.

        Each message is a ``HealthCheckResponse`` (its ``status``: SERVING,
        NOT_SERVING, SERVICE_UNKNOWN...), the current one first, then one per
        change. ``timeout`` (seconds; the client's ``default_timeout`` if
        ``None``) bounds the whole watch, which then ends DEADLINE_EXCEEDED.
        """
        return self.stream(HealthWatchGrpcRequest(service, timeout))

    def watch_health_async(
        self,
        service: str = "",
        *,
        timeout: float | None = None,  # the watch's gRPC deadline, sent along
    ) -> AsyncGrpcStream[HealthCheckResponse]:
        """``watch_health`` as an ``AsyncGrpcStream``, on this event loop's channel."""
        return self.stream_async(HealthWatchGrpcRequest(service, timeout))

    def close(self) -> None:
        """Refuse new calls and let go of the shared connection; safe anywhere, and twice.

        The connection itself closes when no client holds it any more (after
        the registry's linger), cancelling calls still in flight on it.
        """
        if not self._closed:
            self._closed = True
            self._registry.release(self._shared)

    async def aclose(self) -> None:
        self.close()

    def __repr__(self) -> str:
        """Safe on a client whose constructor failed: injector's ``CallError`` shows that one.

        Otherwise the ``AttributeError`` raised here would hide the real mistake
        (an ``Annotated[GrpcClient, name]`` key nobody bound, in a child injector).
        """
        if "_closed" not in vars(self):
            return f"<{type(self).__name__} not constructed>"
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self._settings.target} {state}>"


def checked_stages(stages: Stages) -> tuple[GrpcCallStage[Any], ...]:
    """The stages as given, once each is known to be one: a list or tuple of ``GrpcCallStage``.

    Raises ``InvalidGrpcClientSettings`` for anything else.
    """
    if not isinstance(stages, list | tuple) or not all(
        isinstance(stage, GrpcCallStage) for stage in stages
    ):
        raise InvalidGrpcClientSettings(
            f"stages must be a list or tuple of GrpcCallStage, got {stages!r}"
        )
    return tuple(stages)
