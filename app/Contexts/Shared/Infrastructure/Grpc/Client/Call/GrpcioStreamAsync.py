from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import grpc
import grpc.aio
from google.protobuf.message import DecodeError, Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.RequestStream import RequestStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata

# The transport's verdict on a failed attempt (``Attempt``'s ``SendEvidence`` reading).
Judge = Callable[[GrpcResponse], GrpcResponse]
# A call cut short by close() rather than by the caller's task being cancelled.
ClosedMidCall = Callable[[], GrpcResponse | None]
_CANCELLED_HERE = GrpcResponse(grpc.StatusCode.CANCELLED, details="cancelled by the client")
_EOF: object = grpc.aio.EOF  # type: ignore[attr-defined]  # grpc-stubs lacks it


class GrpcioStreamAsync(AsyncStreamAttempt):
    """``GrpcioStream`` on this event loop's ``grpc.aio`` channel.

    grpc.aio reads one message per ``read()``, so flow control reaches the
    server here too. A bidi stream the caller writes to is opened with no
    request iterator, so grpc.aio's own ``write`` and ``done_writing`` carry
    the messages, each waiting for flow control to take it.
    """

    def __init__(
        self,
        invocation: GrpcInvocation,
        seconds: float,
        multicallable: Any,
        judge: Judge,
        closed_mid_call: ClosedMidCall,
    ) -> None:
        method = invocation.method
        self._method = method
        self._decode = method.response_class.FromString
        self._judge = judge
        self._closed_mid_call = closed_mid_call
        self._requests = None
        request: object = invocation.payload
        if method.sends_stream:
            request = None
            if invocation.messages is not None:
                self._requests = RequestStream(method, invocation.messages)
                request = self._requests.payloads()
        self._written = 0
        self._call = multicallable(
            request,
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        if self._requests is not None:
            self._requests.bind(self._call.cancel)

    async def receive(self) -> Message | GrpcResponse:
        try:
            payload = await self._call.read()
        except grpc.RpcError as error:
            self._raise_refused()
            return self._judge(GrpcResponse.from_rpc_error(error))
        except asyncio.CancelledError:
            self._raise_refused()
            return self._cancelled_here()
        if payload is _EOF:
            return await self._ended()
        try:
            message: Message = self._decode(payload)
        except DecodeError as error:
            self._call.cancel()
            return GrpcResponse(
                grpc.StatusCode.INTERNAL,
                details=f"a reply on {self._method.path} is not a valid "
                f"{self._method.response_class.DESCRIPTOR.full_name}: {error}",
            ).with_outcome_unknown()
        return message

    async def write(self, message: Message) -> bool:
        try:
            await self._call.write(message.SerializeToString())
        except (grpc.RpcError, asyncio.InvalidStateError):  # the call ended meanwhile
            return False
        self._written += 1
        return True

    async def done_writing(self) -> None:
        await self._call.done_writing()

    def cancel(self) -> None:
        self._call.cancel()

    async def initial_metadata(self) -> RawMetadata:
        return tuple(await self._call.initial_metadata() or ())

    @property
    def sent(self) -> int:
        if self._requests is not None:
            return self._requests.sent
        return self._written if self._method.sends_stream else 1

    async def _ended(self) -> GrpcResponse:
        """The end of the replies: OK with both kinds of metadata, or the failure it was."""
        self._raise_refused()
        call = self._call
        code = await call.code()
        initial = tuple(await call.initial_metadata() or ())
        trailing = tuple(await call.trailing_metadata() or ())
        if code is grpc.StatusCode.OK:
            return GrpcResponse.received(code, None, "", initial, trailing)
        details = await call.details()
        return self._judge(GrpcResponse.received(code, None, details or "", initial, trailing))

    def _cancelled_here(self) -> GrpcResponse:
        """grpc.aio raises ``CancelledError`` for a call cancelled on this side, too.

        Only a cancelled task's is the caller's to get; a call cancelled by
        ``close()``, by the stream (closed, a refused item) answers CANCELLED.
        """
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        return self._closed_mid_call() or _CANCELLED_HERE

    def _raise_refused(self) -> None:
        if self._requests is not None and self._requests.error is not None:
            raise self._requests.error
