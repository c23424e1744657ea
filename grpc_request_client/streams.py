"""Streams: ``GrpcStream`` and ``AsyncGrpcStream``, and the state they share."""

import threading
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, Generic, Never, NoReturn, Self, TypeVar, overload

import grpc
from google.protobuf.message import Message

from grpc_request_client.engine import Flow, Step, StreamOpened
from grpc_request_client.errors import GrpcStreamClosed, GrpcStreamNotFinished
from grpc_request_client.invocation import CallStep, GrpcInvocation
from grpc_request_client.metadata import GrpcMetadata
from grpc_request_client.request import ReplyT_co
from grpc_request_client.resilience import Bulkhead, Clock
from grpc_request_client.response import GrpcResponse, RawMetadata
from grpc_request_client.transport import AsyncStreamAttempt, GrpcTransport, StreamAttempt

_CANCELLED = grpc.StatusCode.CANCELLED
Attempt = TypeVar("Attempt", StreamAttempt, AsyncStreamAttempt)


class GrpcStreamResult(Generic[Attempt, ReplyT_co]):
    """What ``GrpcStream`` and ``AsyncGrpcStream`` share: the stream's outcome, and its rules.

    The outcome reads as a ``GrpcResponse``'s (``status_code()``,
    ``details()``, ``raise_for_status()``, metadata), once the stream has
    ended: read to its end, failed, or closed by the caller. Asked earlier,
    it raises ``GrpcStreamNotFinished``, so a half-read stream can never pass
    for a whole one. ``response()`` is the final ``GrpcResponse`` itself (no
    message; ``messages_sent()``, ``messages_received()``, ``attempts()``).
    The class parameter is the reply class the request declares, what reading gives.
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

    def response(self) -> GrpcResponse[ReplyT_co]:
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


_SEND, _SLEEP, _RECEIVE = CallStep.SEND, CallStep.SLEEP, CallStep.RECEIVE
_OPENED = StreamOpened.ANSWER
_OPEN = object()  # an attempt is open: the engine waits while the caller reads


class AsyncGrpcStream(GrpcStreamResult[AsyncStreamAttempt, ReplyT_co]):
    """``GrpcStream`` for asyncio, read with ``async for``: ``GrpcClient.stream_async`` returns it.

    ::

        async with client.stream_async(ListUsersGrpcRequest(limit=100)) as users:
            async for user in users:
                ...

    The same stream, on this event loop's channel, decided by the same engine:
    see ``GrpcStream`` for when it starts, what it holds, how a failure midway
    is raised and what a retry may do. Leaving the loop early, leaving the
    ``async with``, ``aclose()`` or cancelling the task cancels the call on
    the server (a cancelled task gets its ``CancelledError``, and the stream
    logs nothing, as a cancelled ``call_async`` does). A loop left early outside
    ``async with`` is closed when Python finalizes its async generator (at the
    event loop's next turn, not at the ``break``), so read inside ``async with``.
    ``write()`` waits for
    HTTP/2 flow control to take each message, so a fast writer cannot pile
    messages up either.
    """

    async def __aiter__(self) -> AsyncIterator[ReplyT_co]:
        """The reply messages, decoded; the loop raises if the stream did not end OK."""
        try:
            while (message := await self.read()) is not None:
                yield message
        finally:
            if self._final is None:  # the loop was left before the end
                self._close_now()

    # Overloads on self, as GrpcResponse.message(): Any for a request declaring no reply class.
    @overload
    async def read(self: "AsyncGrpcStream[Never]") -> Any: ...
    @overload
    async def read(self) -> ReplyT_co | None: ...
    async def read(self) -> Any:
        """The next reply message; ``None`` at the end of a stream that ended OK.

        Raises as ``GrpcStream.read`` does.
        """
        self._reading = True
        try:
            return await self._read()
        finally:
            self._reading = False
            if self._closing and self._final is None:  # closed while this read was under way
                self._end_closed()

    async def _read(self) -> Any:
        if self._closing:
            self._end_closed()
        elif not self._started:
            await self._start()
        attempt = self._attempt
        while attempt is not None:
            try:
                item = await attempt.receive()
            except BaseException as error:
                self._abandon(error)
                raise
            if type(item) is not GrpcResponse:
                self._received += 1
                if self._received == 1:
                    await self._opened(attempt)
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
            await self._advance(item)
            attempt = self._attempt
        self._after_end()
        return None

    async def write(self, message: Message) -> None:
        """Send ``message`` on a bidi stream the caller writes to, once flow control takes it.

        Raises as ``GrpcStream.write`` does; nothing is sent then.
        """
        checked = self._check_write(message)
        if not self._started:
            await self._start()
        attempt = self._attempt
        if attempt is None or not await attempt.write(checked):
            self._refuse_write()

    async def done_writing(self) -> None:
        """No more messages follow: the server sees the end of what was written. Safe twice."""
        if self._mark_done_writing():
            if not self._started:
                await self._start()
            if self._attempt is not None:
                await self._attempt.done_writing()

    async def aclose(self) -> None:
        """End the stream here, as ``GrpcStream.close`` does. Safe at any point and twice."""
        self._close_now()

    async def __aenter__(self) -> Self:
        if not self._started:
            await self._start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close_now()

    async def _start(self) -> None:
        """Start the call: the engine's first steps, as a read would carry them out."""
        self._started = True
        reading, self._reading = self._reading, True
        try:
            await self._advance(None)
        finally:
            self._reading = reading
            if not reading and self._closing and self._final is None:
                self._end_closed()

    async def _opened(self, attempt: AsyncStreamAttempt) -> None:
        self._initial = await attempt.initial_metadata()
        await self._advance(_OPENED)

    async def _advance(self, answer: object) -> None:
        """``GrpcStream._advance``, awaiting each step."""
        if self._final is not None:  # closed while the caller waited
            return
        try:
            await self._carry_out(self._flow.send(answer))
        except StopIteration as done:
            self._finished(done.value)
        except BaseException as error:
            self._finished(self._abandoned_response(error, self._sent))
            raise

    async def _carry_out(self, step: Step) -> None:
        """Carry out the engine's steps until one leaves the stream to be read."""
        flow = self._flow
        while step[0] is not _RECEIVE:
            try:
                answer = await self._answer(*step)
            except BaseException as error:
                step = flow.throw(error)
                continue
            if answer is _OPEN:
                return
            step = flow.send(answer)

    async def _answer(self, kind: CallStep, seconds: float, invocation: GrpcInvocation) -> object:
        """What the step gives the engine; ``_OPEN`` once an attempt is open to be read."""
        if kind is _SEND:
            if self._cancelled:  # closed while waiting for a slot or a backoff: send nothing
                return self._closed_response(0)
            opened = await self._transport.open_async(invocation, seconds)
            if isinstance(opened, GrpcResponse):
                return opened
            self._attempt = opened
            if self._cancelled:  # cancel() came while this was opening
                opened.cancel()
            return _OPEN
        if kind is _SLEEP:
            await self._clock.sleep_async(seconds)
            return None
        return await self._bulkhead.enter_async(seconds)


class GrpcStream(GrpcStreamResult[StreamAttempt, ReplyT_co]):
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

    def __iter__(self) -> Iterator[ReplyT_co]:
        """The reply messages, decoded; the loop raises if the stream did not end OK."""
        try:
            while (message := self.read()) is not None:
                yield message
        finally:
            if self._final is None:  # the loop was left before the end
                self.close()

    # Overloads on self, as GrpcResponse.message(): Any for a request declaring no reply class.
    @overload
    def read(self: "GrpcStream[Never]") -> Any: ...
    @overload
    def read(self) -> ReplyT_co | None: ...
    def read(self) -> Any:
        """The next reply message, blocking; ``None`` at the end of a stream that ended OK.

        Typed ``User | None`` for a request that declares ``BaseGrpcRequest[User]``,
        ``Any`` for one that declares none. Raises the domain's
        ``RemoteServiceError`` for a stream that failed and
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
