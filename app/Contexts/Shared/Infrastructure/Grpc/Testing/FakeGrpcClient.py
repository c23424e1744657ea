from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelRegistry import ChannelRegistry
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.DeclaredSettings import (
    DeclaredSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient, Stages
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitBreaker import CircuitBreaker
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeAnswer import (
    FakeAnswer,
    Handler,
    ResponseMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeScript import FakeScript
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeStreamAnswer import (
    FakeStreamAnswer,
    StreamHandler,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.InstantClock import InstantClock
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ScriptedAttempt import ScriptedAttempt

# grpc-core's pick_first wording for a call no connection could be made for.
_UNREACHABLE = (
    "failed to connect to all addresses; last error: UNKNOWN: Connection refused "
    "(scripted by FakeGrpcClient.unreachable)"
)


class FakeGrpcClient(GrpcClient):
    """A ``GrpcClient`` that answers from a script instead of a server, and records every call.

    A subclass, so it goes wherever a ``GrpcClient`` is typed (a constructor
    argument, an injector binding, a ``client_factory``), and it is the real
    client but for the wire: it opens no channel, and its attempts go to a
    ``ScriptedAttempt`` instead, under the same ``CallEngine``. So each request
    passes the client's own checks and the fake raises exactly what the real
    client raises; the ids and the log event are the real ones; bulkhead,
    circuit breaker, deadline and retries behave as in production, the retries'
    backoff on an ``InstantClock`` so it costs nothing; and a closed fake raises
    ``GrpcClientClosed``. Built like the real client: ``FakeGrpcClient(target,
    ...)`` or ``FakeGrpcClient.from_settings(settings)``.

    Every call kind is scripted by what the method answers: one reply
    (``reply``, ``handle``; a client-streaming call too, its ``RecordedCall``
    carrying the ``messages`` sent) or a stream of them (``reply_stream``,
    ``handle_stream``, for server-streaming and bidi methods, read through
    ``stream``/``stream_async``). ``fail`` and ``unreachable`` fit every kind:
    a stream given one fails before its first message, so it is retried as a
    real one would be. A stream the caller closes early is recorded
    ``cancelled``.
    """

    @DeclaredSettings.signed(GrpcClientSettings, after="target")
    def __init__(
        self,
        target: str = "fake:50051",
        *,
        clock: Clock | None = None,
        channel_registry: ChannelRegistry | None = None,
        stages: Stages = (),
        **options: Any,
    ) -> None:
        """Any keyword ``GrpcClient`` takes, checked as it checks them.

        ``channel_registry`` is accepted and unused: the fake opens no channel.
        ``stages`` run as on the real client, around the scripted wire.
        """
        settings = GrpcClientSettings.create(target, **options)
        self._open(settings, clock, channel_registry, stages)

    @staticmethod
    def _default_clock() -> Clock:
        return InstantClock()

    def _connect(self, channel_registry: ChannelRegistry | None) -> CircuitBreaker | None:
        """No channel and no registry: the script for a wire, and a breaker of its own."""
        self._script = FakeScript()
        self._wire = ScriptedAttempt(self._script)
        self._attempt = self._wire
        policy = self._settings.circuit_breaker
        return CircuitBreaker(policy, self._clock) if policy.enabled else None

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
        self._script.add(service, method, answer, (message,))

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
        is retried by the ``RetryPolicy``, so script what the retries get next. As
        with the real client, a request that is not idempotent is retried only if
        ``details`` are grpc's own for a call that never left (``SendEvidence``:
        "failed to connect to all addresses; ..." for a server that is down).
        """
        answer = FakeAnswer.failure(code, details, initial_metadata, trailing_metadata)
        self._script.add(service, method, answer)

    def unreachable(self, service: str, method: str) -> None:
        """Answer the method as grpc does when no connection can be made to the server.

        UNAVAILABLE with grpc's own details for a call that failed before it
        left the client (pick_first's "failed to connect to all addresses"), so
        it is retried for any request, idempotent or not, and the circuit
        breaker does not count it, exactly as for a server that is down.
        """
        answer = FakeAnswer.failure(
            grpc.StatusCode.UNAVAILABLE, _UNREACHABLE, (), (), "unreachable()"
        )
        self._script.add(service, method, answer)

    def handle(self, service: str, method: str, handler: Handler) -> None:
        """Answer the method with what ``handler(call)`` returns: a message or a ``GrpcResponse``.

        For answers that depend on what was sent (``call`` is its ``RecordedCall``;
        for a client-streaming method, ``call.messages`` holds every message the
        caller sent). An exception the handler raises reaches the test as it is:
        it is a bug in the test, not something a server could answer.
        """
        self._script.add(service, method, FakeAnswer.handler(handler))

    def reply_stream(
        self,
        service: str,
        method: str,
        messages: Iterable[Message],
        *,
        status: grpc.StatusCode = grpc.StatusCode.OK,
        details: str = "",
        initial_metadata: ResponseMetadata = (),
        trailing_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer a server-streaming or bidi method with ``messages``, then end it with ``status``.

        The caller reads the messages in order (each its own copy, of the
        method's reply class), then the end: with a ``status`` other than OK
        the stream fails after them, so its loop raises the domain's
        ``RemoteServiceError`` once they were read, and the status is then on
        the stream. No retry follows a failure that came after a message, as
        in production. The messages are read now (a generator is taken whole);
        ``initial_metadata`` comes with the first message, ``trailing_metadata``
        with the end. Raises ``InvalidFakeAnswer`` for a method that answers
        once (script it with ``reply``) and for a message of the wrong class.
        """
        answer = FakeStreamAnswer.replies(
            messages, status, details, initial_metadata, trailing_metadata
        )
        self._script.add(service, method, answer, answer.scripted)

    def handle_stream(
        self,
        service: str,
        method: str,
        handler: StreamHandler,
        *,
        initial_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer a server-streaming or bidi method with what ``handler(call, requests)`` yields.

        ``call`` is the attempt's ``RecordedCall`` as it opened; ``requests``
        an iterator of the request messages the caller sends, each a copy: the
        one message of a server-streaming call, the ``messages()`` of a bidi
        request, or what the caller ``write()``s. The handler returns an
        iterable (a generator reads best) of reply messages; a ``GrpcResponse``
        among them ends the stream with its status, details and trailing
        metadata (OK when the items run out without one). It runs when the
        caller reads, in the caller's thread, and sees what was written before
        that read, so a bidi ping-pong (write, read, write, read) works in one
        thread; a handler asking for a message the caller has not written
        while it waits for a reply raises ``FakeStreamStalled`` from the read,
        where a real server would wait forever. ``initial_metadata`` comes
        with the first message. An exception the handler raises reaches the
        test as it is; closing the stream closes the handler's generator.
        """
        answer = FakeStreamAnswer.handler(handler, initial_metadata)
        self._script.add(service, method, answer)

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        """Every attempt so far, in order: once per attempt, as a server sees a retried call.

        A stream's record is as of now: the messages sent so far, and whether
        the caller cancelled it.
        """
        return self._wire.calls

    def calls_to(self, service: str, method: str) -> tuple[RecordedCall, ...]:
        """The attempts answered for one method, in order."""
        return tuple(call for call in self.calls if call.path == f"/{service}/{method}")

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
