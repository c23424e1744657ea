import threading
from typing import Generic, NoReturn, Self, TypeVar

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CallEngine import Flow
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcTransport import GrpcTransport
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcStreamClosed import (
    GrpcStreamClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcStreamNotFinished import (
    GrpcStreamNotFinished,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Bulkhead import Bulkhead
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock

_CANCELLED = grpc.StatusCode.CANCELLED
Attempt = TypeVar("Attempt", StreamAttempt, AsyncStreamAttempt)


class GrpcStreamResult(Generic[Attempt]):
    """What ``GrpcStream`` and ``AsyncGrpcStream`` share: the stream's outcome, and its rules.

    The outcome reads as a ``GrpcResponse``'s (``status_code()``,
    ``details()``, ``raise_for_status()``, metadata), once the stream has
    ended: read to its end, failed, or closed by the caller. Asked earlier,
    it raises ``GrpcStreamNotFinished``, so a half-read stream can never pass
    for a whole one. ``response()`` is the final ``GrpcResponse`` itself (no
    message; ``messages_sent()``, ``messages_received()``, ``attempts()``).
    Ending a stream needs no I/O (the engine hears the end and gives back
    what the call holds), so closing, cancelling and abandoning are shared too;
    reading and starting, which block or await, are each driver's own.
    """

    def __init__(
        self,
        invocation: GrpcInvocation,
        flow: Flow,
        transport: GrpcTransport,
        bulkhead: Bulkhead,
        clock: Clock,
    ) -> None:
        self._invocation = invocation
        self._flow = flow
        self._transport = transport
        self._bulkhead = bulkhead
        self._clock = clock
        self._attempt: Attempt | None = None
        self._started = False
        # A read (or write) is under way: only that reader drives the engine, so a close
        # from another thread or task only cancels, and the reader ends the stream.
        self._reading = False
        self._closing = False
        self._ending = threading.Lock()  # one thread ends the engine: the reader or the closer
        self._sent = 0  # request messages the last attempt sent
        self._abandoned_by: BaseException | None = None
        self._final: GrpcResponse | None = None
        self._received = 0
        self._initial: RawMetadata | None = None
        self._cancelled = False
        self._writes_done = False

    @property
    def finished(self) -> bool:
        """Whether the stream has ended: read to its end, failed, or closed by the caller."""
        return self._final is not None

    @property
    def messages_received(self) -> int:
        """Reply messages handed to the caller so far."""
        return self._received

    def response(self) -> GrpcResponse:
        """The final outcome; raises ``GrpcStreamNotFinished`` while the stream is open."""
        final = self._final
        if final is None:
            raise GrpcStreamNotFinished(
                f"the stream on {self._invocation.method.path} is still open after "
                f"{self._received} messages: read it to the end, or close it, first"
            )
        return final

    def status_code(self) -> grpc.StatusCode:
        return self.response().status_code()

    def details(self) -> str:
        return self.response().details()

    def is_success(self) -> bool:
        return self.response().is_success()

    def raise_for_status(self) -> Self:
        """This stream if it ended OK; else the domain's ``RemoteServiceError`` for its status."""
        self.response().raise_for_status()
        return self

    def initial_metadata(self) -> GrpcMetadata:
        """The server's initial metadata, once the first message arrived or the stream ended."""
        if self._initial is not None:
            return GrpcMetadata(self._initial)
        return self.response().initial_metadata()

    def trailing_metadata(self) -> GrpcMetadata:
        return self.response().trailing_metadata()

    def cancel(self) -> None:
        """Cancel the call on the server, from any thread; the reader then sees it closed."""
        self._cancelled = True
        attempt = self._attempt
        if attempt is not None:
            attempt.cancel()

    def __del__(self) -> None:
        """A stream dropped while open gives back its slot and permit, as a closed one does."""
        if getattr(self, "_started", False) and self._final is None:
            self._close_now()

    def __repr__(self) -> str:
        state = "open" if self._final is None else self._final.status_code().name
        path = self._invocation.method.path
        return f"<{type(self).__name__} {path} {state} received={self._received}>"

    def _close_now(self) -> None:
        """End the stream here: cancel the call if it is open, and let the engine finish it.

        While a read is under way elsewhere (another thread, another task, or
        the same reader waiting for a slot or a backoff) the call is only
        cancelled: that reader then ends the stream as closed, and nothing
        more is sent for it. The flags are set before ``_reading`` is looked
        at, and the reader sets ``_reading`` before it looks at them, so one of
        the two always sees the other.
        """
        if self._final is not None:
            return
        self._closing = True
        self.cancel()
        if not self._reading:
            self._end_closed()

    def _end_closed(self) -> None:
        """Tell the engine the caller closed the stream, once, whoever gets here first."""
        with self._ending:
            if self._final is not None:
                return
            if not self._started:  # nothing was started, so nothing is to be given back
                self._started = True
                self._flow.close()
                self._final = self._closed_response(0).after_attempts(0)
                return
            attempt, self._attempt = self._attempt, None
            if attempt is not None:
                attempt.cancel()
                self._sent = attempt.sent
            try:
                self._flow.send(self._closed_response(self._sent))
            except StopIteration as done:
                self._finished(done.value)
            except BaseException as error:
                self._finished(self._abandoned_response(error, self._sent))
                raise

    def _finished(self, response: GrpcResponse | None) -> None:
        """Keep the stream's final response, the first one only.

        A generator that has already returned answers ``StopIteration(None)``:
        never a reason to forget the real end.
        """
        if self._final is None and response is not None:
            self._final = response

    def _abandon(self, error: BaseException) -> None:
        """Reading raised (a cancelled task too): cancel the call, give back what it holds."""
        attempt, self._attempt = self._attempt, None
        if attempt is not None:
            attempt.cancel()
            self._sent = attempt.sent
        if self._final is None:
            self._finished(self._abandoned_response(error, self._sent))
            try:
                self._flow.throw(error)
            except BaseException as raised:  # the engine re-raises error once it gave all back
                if raised is not error:
                    raise

    def _after_end(self) -> None:
        """What reading a finished stream gives: nothing more, or why it did not end well.

        ``None`` after an OK end. A failure raises the domain's error for its
        status (after the messages that did arrive were handed out), and a
        stream the caller closed raises ``GrpcStreamClosed``: either way a loop
        over it cannot end as if everything had been read.
        """
        final = self._final
        if final is None:
            raise GrpcStreamClosed(
                f"the stream on {self._invocation.method.path} was closed while it was read"
            )
        if final.is_success():
            return
        if self._abandoned_by is not None:
            raise GrpcStreamClosed(
                f"the stream on {self._invocation.method.path} ended with "
                f"{type(self._abandoned_by).__name__} after {self._received} messages; "
                "it has no more to read"
            )
        if final.closed_by_caller():
            raise GrpcStreamClosed(
                f"the stream on {self._invocation.method.path} was closed by the caller after "
                f"{self._received} messages; it has no more to read"
            )
        final.raise_for_status()

    def _closed_response(self, sent: int) -> GrpcResponse:
        """The end of a stream the caller closed, or cancelled, before its end."""
        how = "cancelled" if self._cancelled else "closed"
        return GrpcResponse(
            _CANCELLED, details=f"{how} by the caller after {self._received} messages"
        ).with_stream_counts(sent, self._received, closed_by_caller=True)

    def _check_write(self, message: object) -> Message:
        """The message, once it may be written now; else the named reason it may not."""
        self._check_write_side()
        invocation = self._invocation
        path = invocation.method.path
        if self._writes_done:
            raise GrpcStreamClosed(f"{path}: write() after done_writing(); nothing was sent")
        if self._final is not None:
            self._refuse_write()
        invocation.method.check(message, "write() was given")
        return message  # type: ignore[return-value]  # check() raises for anything else

    def _refuse_write(self) -> NoReturn:
        """A write on a stream that has ended, however it ended."""
        how = "" if self._final is None else f" ({self._final.status_code().name})"
        raise GrpcStreamClosed(
            f"{self._invocation.method.path}: the stream has ended{how}; the message was not sent"
        )

    def _abandoned_response(self, error: BaseException, sent: int) -> GrpcResponse:
        """The end of a stream an exception ended (``error``, which its caller gets).

        Closed by the caller for the breaker and the stages (it says nothing of
        the server); reading it again says which exception ended it.
        """
        self._abandoned_by = error
        return GrpcResponse(
            _CANCELLED,
            details=f"abandoned after {self._received} messages: {type(error).__name__}",
        ).with_stream_counts(sent, self._received, closed_by_caller=True)

    def _mark_done_writing(self) -> bool:
        """Whether a half-close is to be sent now: only the first ``done_writing()`` sends one."""
        self._check_write_side()
        if self._writes_done:
            return False
        self._writes_done = True
        return True

    def _check_write_side(self) -> None:
        invocation = self._invocation
        if invocation.method.kind != "bidi_stream" or invocation.messages is not None:
            raise GrpcStreamClosed(
                f"{invocation.method.path}: this stream sends its request's own message(s); "
                "write() and done_writing() are for a bidirectional request whose messages() "
                "returns None"
            )
