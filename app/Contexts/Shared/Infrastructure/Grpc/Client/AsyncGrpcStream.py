from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CallEngine import Step
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CallStep import CallStep
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamOpened import StreamOpened
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcStreamResult import GrpcStreamResult

_SEND, _SLEEP, _RECEIVE = CallStep.SEND, CallStep.SLEEP, CallStep.RECEIVE
_CANCELLED = grpc.StatusCode.CANCELLED
_OPENED = StreamOpened.ANSWER
_OPEN = object()  # an attempt is open: the engine waits while the caller reads


class AsyncGrpcStream(GrpcStreamResult[AsyncStreamAttempt]):
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

    async def __aiter__(self) -> AsyncIterator[Any]:
        """The reply messages, decoded; the loop raises if the stream did not end OK."""
        try:
            while (message := await self.read()) is not None:
                yield message
        finally:
            if self._final is None:  # the loop was left before the end
                self._close_now()

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
