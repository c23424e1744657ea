from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CallEngine import Step
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CallStep import CallStep
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamOpened import StreamOpened
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcStreamResult import GrpcStreamResult

_SEND, _SLEEP, _RECEIVE = CallStep.SEND, CallStep.SLEEP, CallStep.RECEIVE
_CANCELLED = grpc.StatusCode.CANCELLED
_OPENED = StreamOpened.ANSWER
_OPEN = object()  # an attempt is open: the engine waits while the caller reads


class GrpcStream(GrpcStreamResult[StreamAttempt]):
    """A server-streaming or bidi call, read with ``for``: what ``GrpcClient.stream`` returns.

    ::

        with client.stream(ListUsersGrpcRequest(limit=100)) as users:
            for user in users:
                ...
        users.status_code()  # OK: every user was read

    The call starts at ``with`` (or the first read or write) and is one call
    for the client: its bulkhead slot, breaker permit, deadline (the request's
    timeout covers the whole stream) and log event span the stream. A stream
    that fails, even after some messages, raises the domain's
    ``RemoteServiceError`` from the loop once the messages that did arrive
    were handed out, so a failure midway cannot pass for the end; the status
    is then on the stream (see ``GrpcStreamResult``). Leaving the loop early
    (``break``, an exception), leaving the ``with`` or ``close()`` cancels the
    call on the server; reading it again raises ``GrpcStreamClosed``.

    A bidi request whose ``messages()`` is ``None`` is written to while it is
    read: ``write(message)``, then ``done_writing()``. Read and write from one
    thread; ``cancel()`` and ``close()`` may come from any: a read under way
    then ends the stream as closed (a wait for a bulkhead slot or a backoff
    runs out first, and nothing more is sent). Messages are read one at a
    time, as the caller asks: a slow reader makes the server wait (HTTP/2 flow
    control), the client buffers nothing. Retries (the client's ``RetryPolicy``)
    happen only before the first reply arrived, and only for a request whose
    messages can be sent again.
    """

    def __iter__(self) -> Iterator[Any]:
        """The reply messages, decoded; the loop raises if the stream did not end OK."""
        try:
            while (message := self.read()) is not None:
                yield message
        finally:
            if self._final is None:  # the loop was left before the end
                self.close()

    def read(self) -> Any:
        """The next reply message, blocking; ``None`` at the end of a stream that ended OK.

        Raises the domain's ``RemoteServiceError`` for a stream that failed and
        ``GrpcStreamClosed`` for one the caller closed.
        """
        self._reading = True
        try:
            return self._read()
        finally:
            self._reading = False
            if self._closing and self._final is None:  # closed while this read was under way
                self._end_closed()

    def _read(self) -> Any:
        if self._closing:
            self._end_closed()
        elif not self._started:
            self._start()
        attempt = self._attempt
        while attempt is not None:
            try:
                item = attempt.receive()
            except BaseException as error:
                self._abandon(error)
                raise
            if type(item) is not GrpcResponse:
                self._received += 1
                if self._received == 1:
                    self._opened(attempt)
                return item
            self._sent = attempt.sent
            if self._closing:  # closed while this read waited: the closer left the end to it
                self._end_closed()
                break
            self._attempt = None
            if self._cancelled and item.status_code() is _CANCELLED:
                item = self._closed_response(self._sent)
            else:
                item = item.with_stream_counts(self._sent, self._received)
            self._advance(item)
            attempt = self._attempt
        self._after_end()
        return None

    def write(self, message: Message) -> None:
        """Send ``message`` on a bidi stream the caller writes to; queued, never blocking.

        Raises ``GrpcStreamClosed`` after ``done_writing()``, once the stream
        ended, or on a stream whose request sends its own ``messages()``, and
        ``InvalidGrpcMessage`` for what the method does not take: nothing is sent.
        """
        checked = self._check_write(message)
        if not self._started:
            self._start()
        attempt = self._attempt
        if attempt is None or not attempt.write(checked):
            self._refuse_write()

    def done_writing(self) -> None:
        """No more messages follow: the server sees the end of what was written. Safe twice."""
        if self._mark_done_writing():
            if not self._started:
                self._start()
            if self._attempt is not None:
                self._attempt.done_writing()

    def close(self) -> None:
        """End the stream here: cancel the call if it is still open, and free what it holds.

        Safe at any point and twice; a stream read to its end is left as it is.
        """
        self._close_now()

    def __enter__(self) -> Self:
        if not self._started:
            self._start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        """Start the call: the engine's first steps, as a read would carry them out."""
        self._started = True
        reading, self._reading = self._reading, True
        try:
            self._advance(None)
        finally:
            self._reading = reading
            if not reading and self._closing and self._final is None:
                self._end_closed()

    def _opened(self, attempt: StreamAttempt) -> None:
        """The first reply arrived: its headers are known, and the engine stops any retry."""
        self._initial = attempt.initial_metadata()
        self._advance(_OPENED)

    def _advance(self, answer: object) -> None:
        """Answer the engine's pending step, then carry out its steps until a stream is open.

        Returns with an attempt to read (``self._attempt``), with the engine
        waiting for the stream's end, or with the stream finished
        (``self._final``).
        """
        if self._final is not None:  # closed while the caller waited
            return
        try:
            self._carry_out(self._flow.send(answer))
        except StopIteration as done:
            self._finished(done.value)
        except BaseException as error:
            self._finished(self._abandoned_response(error, self._sent))
            raise

    def _carry_out(self, step: Step) -> None:
        """Carry out the engine's steps until one leaves the stream to be read."""
        flow = self._flow
        while step[0] is not _RECEIVE:
            try:
                answer = self._answer(*step)
            except BaseException as error:
                step = flow.throw(error)
                continue
            if answer is _OPEN:
                return
            step = flow.send(answer)

    def _answer(self, kind: CallStep, seconds: float, invocation: GrpcInvocation) -> object:
        """What the step gives the engine; ``_OPEN`` once an attempt is open to be read."""
        if kind is _SEND:
            if self._cancelled:  # closed while waiting for a slot or a backoff: send nothing
                return self._closed_response(0)
            opened = self._transport.open(invocation, seconds)
            if isinstance(opened, GrpcResponse):
                return opened
            self._attempt = opened
            if self._cancelled:  # cancel() came while this was opening
                opened.cancel()
            return _OPEN
        if kind is _SLEEP:
            self._clock.sleep(seconds)
            return None
        return self._bulkhead.enter(seconds)
