from time import perf_counter
from typing import Self

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.BulkheadPolicy import BulkheadPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.Attempt import Attempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcCallLog import GrpcCallLog
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocationFactory import (
    GrpcInvocationFactory,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelReadiness import (
    ChannelReadiness,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelRegistry import ChannelRegistry
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.KeepaliveSettings import (
    KeepaliveSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import (
    DEFAULT_MAX_RECONNECT_BACKOFF,
    ChannelOptionsInput,
    GrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthCheckGrpcRequest import (
    HealthCheckGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthCheckResult import (
    HealthCheckResult,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Bulkhead import Bulkhead
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Rejection import Rejection
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.RetryLoop import RetryLoop
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.SystemClock import SystemClock
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerToken import BearerTokenInput
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.TlsSettings import TlsSettings
from app.Contexts.Shared.Infrastructure.Lifecycle.ClosesOnExit import ClosesOnExit

_SYSTEM_CLOCK = SystemClock()


class GrpcClient(ClosesOnExit):
    """Runs ``GrpcRequest`` objects against one target and returns ``GrpcResponse`` values.

    Every check happens before anything is sent, and a mistake in the calling
    code is raised as a named ``GrpcClientError``; whatever happens after that
    (the server's answer, a deadline, a dropped connection, an open circuit)
    comes back as a response. A call passes the bulkhead, then each attempt
    asks the circuit breaker and goes on the wire; a retryable failure is
    retried within the request's timeout. Clients with equal settings share one
    connection and one breaker through a ``ChannelRegistry``.
    """

    def __init__(
        self,
        target: str,
        *,
        default_timeout: float = 30.0,
        max_send_message_length: int | None = None,
        max_receive_message_length: int | None = None,
        compression: grpc.Compression | str | None = None,
        options: ChannelOptionsInput = (),
        retry: RetryPolicy | None = None,
        circuit_breaker: CircuitBreakerPolicy | None = None,
        bulkhead: BulkheadPolicy | None = None,
        clock: Clock | None = None,
        channel_registry: ChannelRegistry | None = None,
        tls: TlsSettings | None = None,
        bearer_token: BearerTokenInput | None = None,
        keepalive: KeepaliveSettings | None = None,
        load_balancing: str | None = None,
        max_reconnect_backoff: float | None = DEFAULT_MAX_RECONNECT_BACKOFF,
    ) -> None:
        settings = GrpcClientSettings.create(
            target,
            default_timeout=default_timeout,
            max_send_message_length=max_send_message_length,
            max_receive_message_length=max_receive_message_length,
            compression=compression,
            options=options,
            retry=retry,
            circuit_breaker=circuit_breaker,
            bulkhead=bulkhead,
            tls=tls,
            bearer_token=bearer_token,
            keepalive=keepalive,
            load_balancing=load_balancing,
            max_reconnect_backoff=max_reconnect_backoff,
        )
        self._open(settings, clock, channel_registry)

    @classmethod
    def from_settings(
        cls,
        settings: GrpcClientSettings,
        *,
        clock: Clock | None = None,
        channel_registry: ChannelRegistry | None = None,
    ) -> Self:
        """A client for settings made beforehand, as a registry of downstream services keeps them.

        Settings are checked when they are made, by ``create()`` or otherwise, so
        nothing is parsed twice; the client is the one ``GrpcClient(target, ...)``
        builds from equal arguments. A subclass with a constructor of its own
        overrides this.
        """
        if not isinstance(settings, GrpcClientSettings):
            raise InvalidGrpcClientSettings(
                f"settings must be a GrpcClientSettings, got {type(settings).__name__}; "
                "make one with GrpcClientSettings.create(target, ...)"
            )
        client = cls.__new__(cls)
        client._open(settings, clock, channel_registry)
        return client

    def _open(
        self,
        settings: GrpcClientSettings,
        clock: Clock | None,
        channel_registry: ChannelRegistry | None,
    ) -> None:
        self._settings = settings
        self._clock = clock or _SYSTEM_CLOCK
        self._registry = channel_registry or ChannelRegistry.default()
        self._shared = self._registry.acquire(self._settings, self._clock)
        self._bulkhead = Bulkhead(self._settings.bulkhead, self._clock)
        self._attempt = Attempt(self._shared, self._settings, self._closed_error)
        self._readiness = ChannelReadiness(self._shared, self._closed_error)
        self._closed = False

    @property
    def settings(self) -> GrpcClientSettings:
        return self._settings

    def call(self, request: GrpcRequest) -> GrpcResponse:
        invocation = self._prepare(request)
        started = perf_counter()
        if not self._bulkhead.enter(invocation.timeout):
            response = Rejection.bulkhead_full(self._settings.target, self._bulkhead.limit)
        else:
            try:
                begun = self._clock.now()
                response = self._attempt.sync(invocation, self._first_timeout(invocation))
                if RetryLoop.worth_retrying(invocation.retry, invocation.idempotent, response):
                    response = self._retry_loop(invocation, begun).run(
                        response, lambda timeout: self._attempt.sync(invocation, timeout)
                    )
            finally:
                self._bulkhead.leave()
        GrpcCallLog.finished(self._settings.target, invocation, response, started)
        return response

    async def call_async(self, request: GrpcRequest) -> GrpcResponse:
        invocation = self._prepare(request)
        started = perf_counter()
        bulkhead = self._bulkhead
        if not bulkhead.try_enter() and not await bulkhead.enter_async(invocation.timeout):
            response = Rejection.bulkhead_full(self._settings.target, self._bulkhead.limit)
        else:
            try:
                begun = self._clock.now()
                response = await self._attempt.aio(invocation, self._first_timeout(invocation))
                if RetryLoop.worth_retrying(invocation.retry, invocation.idempotent, response):
                    response = await self._retry_loop(invocation, begun).run_async(
                        response, lambda timeout: self._attempt.aio(invocation, timeout)
                    )
            finally:
                self._bulkhead.leave()
        GrpcCallLog.finished(self._settings.target, invocation, response, started)
        return response

    @staticmethod
    def _first_timeout(invocation: GrpcInvocation) -> float:
        cap = invocation.retry.attempt_timeout
        return invocation.timeout if cap is None else min(cap, invocation.timeout)

    def _retry_loop(self, invocation: GrpcInvocation, begun: float) -> RetryLoop:
        """Built only once a first attempt failed retryably: a success never pays for it."""
        deadline = begun + invocation.timeout
        return RetryLoop(invocation.retry, invocation.idempotent, deadline, self._clock)

    def _prepare(self, request: GrpcRequest) -> GrpcInvocation:
        closed = self._closed_error()
        if closed is not None:
            raise closed
        return GrpcInvocationFactory.build(request, self._settings)

    def _closed_error(self) -> GrpcClientClosed | None:
        """The error for a call on this client once closed; ``None`` while it is open."""
        if not self._closed:
            return None
        return GrpcClientClosed(f"client for {self._settings.target} is closed")

    def wait_until_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the connection calls use; ``False`` if it never came.

        For start-up checks. A bool because an absent server is a state to report,
        not a mistake to raise (see ``ChannelReadiness``); a bad timeout raises
        ``InvalidGrpcTimeout`` and a closed client ``GrpcClientClosed``.
        """
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
        (typically an unregistered ``Annotated[GrpcClient, name]`` key).
        """
        if "_closed" not in vars(self):
            return f"<{type(self).__name__} not constructed>"
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self._settings.target} {state}>"
