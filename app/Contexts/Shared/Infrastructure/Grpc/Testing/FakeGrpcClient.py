import asyncio
import itertools
import threading
from collections.abc import Callable
from time import perf_counter

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcCallLog import GrpcCallLog
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.RetryLoop import RetryLoop
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeAnswer import (
    FakeAnswer,
    Handler,
    ResponseMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeScript import FakeScript
from app.Contexts.Shared.Infrastructure.Grpc.Testing.InstantClock import InstantClock
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

Attempt = Callable[[float], GrpcResponse]


class FakeGrpcClient(GrpcClient):
    """A ``GrpcClient`` that answers from a script instead of a server, and records every call.

    A subclass, so it goes wherever a ``GrpcClient`` is typed (a constructor
    argument, an injector binding, a ``client_factory``), but it never opens a
    channel: ``GrpcClient.__init__`` is skipped on purpose, because acquiring a
    connection is what it does, and everything that would touch the network is
    answered here. What remains real is what the code under test could get
    wrong: each request passes the client's own checks (``GrpcInvocationFactory``)
    so the fake raises exactly what the real client raises; the trace id and
    the log event are the real ones; a retryable failure is retried by the
    ``RetryPolicy`` (on an ``InstantClock``, so backoff costs nothing); and a
    closed fake raises ``GrpcClientClosed``. Circuit breaker and bulkhead are
    not modelled: their behaviour is the client's, tested against real servers.
    """

    def __init__(
        self,
        target: str = "fake:50051",
        *,
        default_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._settings = GrpcClientSettings.create(
            target, default_timeout=default_timeout, retry=retry
        )
        self._closed = False
        self._script = FakeScript()
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        AfterFork.register(self, in_child=FakeGrpcClient._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    def reply(
        self,
        service: str,
        method: str,
        message: Message,
        *,
        initial_metadata: ResponseMetadata = (),
        trailing_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer the method with ``message``, as a server that succeeded.

        Each call gets its own copy, as each real call decodes its own reply, so
        code that changes one reply cannot change the next.
        """
        answer = FakeAnswer.reply(message, initial_metadata, trailing_metadata)
        self._script.add(service, method, answer, message)

    def fail(
        self,
        service: str,
        method: str,
        code: grpc.StatusCode,
        details: str = "",
        *,
        initial_metadata: ResponseMetadata = (),
        trailing_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer the method as a server that aborted with ``code`` would.

        A response, never an exception, as from the real client; a retryable code
        is retried by the ``RetryPolicy``, so script what the retries get next.
        """
        answer = FakeAnswer.failure(code, details, initial_metadata, trailing_metadata)
        self._script.add(service, method, answer, None)

    def handle(self, service: str, method: str, handler: Handler) -> None:
        """Answer the method with what ``handler(call)`` returns: a message or a ``GrpcResponse``.

        For answers that depend on what was sent (``call`` is its ``RecordedCall``).
        An exception the handler raises reaches the test as it is: it is a bug in
        the test, not something a server could answer.
        """
        self._script.add(service, method, FakeAnswer.handler(handler), None)

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        """Every attempt so far, in order: once per attempt, as a server sees a retried call."""
        with self._lock:
            return tuple(self._calls)

    def calls_to(self, service: str, method: str) -> tuple[RecordedCall, ...]:
        """The attempts answered for one method, in order."""
        return tuple(call for call in self.calls if call.path == f"/{service}/{method}")

    def call(self, request: GrpcRequest) -> GrpcResponse:
        invocation = self._prepare(request)
        started = perf_counter()
        attempt = self._attempts(request, invocation)
        response = attempt(self._first_timeout(invocation))
        if RetryLoop.worth_retrying(invocation.retry, invocation.idempotent, response):
            response = self._retries(invocation).run(response, attempt)
        GrpcCallLog.finished(self._settings.target, invocation, response, started)
        return response

    async def call_async(self, request: GrpcRequest) -> GrpcResponse:
        invocation = self._prepare(request)
        started = perf_counter()
        answer = self._attempts(request, invocation)

        async def attempt(seconds: float) -> GrpcResponse:
            await asyncio.sleep(0)  # a real call suspends; code under test may rely on it
            return answer(seconds)

        response = await attempt(self._first_timeout(invocation))
        if RetryLoop.worth_retrying(invocation.retry, invocation.idempotent, response):
            response = await self._retries(invocation).run_async(response, attempt)
        GrpcCallLog.finished(self._settings.target, invocation, response, started)
        return response

    @staticmethod
    def _retries(invocation: GrpcInvocation) -> RetryLoop:
        """A clock per call, so concurrent calls never spend each other's deadline."""
        clock = InstantClock()
        deadline = clock.now() + invocation.timeout
        return RetryLoop(invocation.retry, invocation.idempotent, deadline, clock)

    def _attempts(self, request: GrpcRequest, invocation: GrpcInvocation) -> Attempt:
        """Each attempt records what a server would receive, then answers from the script."""
        numbers = itertools.count(1)
        method, message = invocation.method, invocation.message
        metadata = GrpcMetadata(invocation.metadata)

        def attempt(timeout: float) -> GrpcResponse:
            call = RecordedCall(
                service=method.service,
                method=method.name,
                message=type(message).FromString(message.SerializeToString()),
                metadata=metadata,
                timeout=timeout,
                trace_id=invocation.trace_id,
                attempt=next(numbers),
                request=request,
            )
            with self._lock:
                self._calls.append(call)
            return self._script.respond(call, method.response_class)

        return attempt

    def wait_until_ready(self, timeout: float) -> bool:
        """Always ready at once while open: there is no connection to wait for."""
        TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout")
        closed = self._closed_error()
        if closed is not None:
            raise closed
        return True

    async def wait_until_ready_async(
        self,
        timeout: float,  # noqa: ASYNC109  # checked as the real client checks it, never waited on
    ) -> bool:
        return self.wait_until_ready(timeout)

    def close(self) -> None:
        self._closed = True
