from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError, Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.RequestStream import RequestStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata

# The transport's verdict on a failed attempt (``Attempt``'s ``SendEvidence`` reading).
Judge = Callable[[GrpcResponse], GrpcResponse]


class GrpcioStream(StreamAttempt):
    """A server-streaming or bidi attempt on grpcio's blocking channel.

    grpcio asks the server for the next message only when ``receive`` is
    called (one receive operation at a time), so a slow reader holds back the
    HTTP/2 flow-control window and the server waits: nothing piles up here.
    Replies come as bytes and are decoded here, as ``Attempt`` decodes a unary
    one: a reply that does not decode cancels the call and ends it INTERNAL.
    Failures become responses through ``judge`` (``Attempt``'s, so a stream's
    failure reads as a unary call's).
    """

    def __init__(
        self, invocation: GrpcInvocation, seconds: float, multicallable: Any, judge: Judge
    ) -> None:
        method = invocation.method
        self._method = method
        self._decode = method.response_class.FromString
        self._judge = judge
        self._requests = RequestStream(method, invocation.messages) if method.sends_stream else None
        self._call = multicallable(
            invocation.payload if self._requests is None else self._requests.payloads(),
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        if self._requests is not None:
            self._requests.bind(self._call.cancel)
        self._next = self._call.__next__

    def receive(self) -> Message | GrpcResponse:
        try:
            payload = self._next()
        except StopIteration:
            return self._ended()
        except grpc.RpcError as error:
            return self._failed(error)
        try:
            message: Message = self._decode(payload)
        except DecodeError as error:
            self.cancel()
            return GrpcResponse(
                grpc.StatusCode.INTERNAL,
                details=f"a reply on {self._method.path} is not a valid "
                f"{self._method.response_class.DESCRIPTOR.full_name}: {error}",
            ).with_outcome_unknown()
        return message

    def write(self, message: Message) -> bool:
        if self._requests is None or self._call.done():
            return False
        self._requests.write(message)
        return True

    def done_writing(self) -> None:
        if self._requests is not None:
            self._requests.done_writing()

    def cancel(self) -> None:
        self._call.cancel()
        self._stop_requests()

    def initial_metadata(self) -> RawMetadata:
        return tuple(self._call.initial_metadata() or ())

    @property
    def sent(self) -> int:
        return 1 if self._requests is None else self._requests.sent

    def _ended(self) -> GrpcResponse:
        self._stop_requests()
        self._raise_refused()
        call = self._call
        return GrpcResponse.received(
            grpc.StatusCode.OK,
            None,
            "",
            tuple(call.initial_metadata() or ()),
            tuple(call.trailing_metadata() or ()),
        )

    def _failed(self, error: grpc.RpcError) -> GrpcResponse:
        self._stop_requests()
        self._raise_refused()
        return self._judge(GrpcResponse.from_rpc_error(error))

    def _stop_requests(self) -> None:
        """grpcio reads a written stream on a thread of its own, which must not wait forever."""
        if self._requests is not None:
            self._requests.stop()

    def _raise_refused(self) -> None:
        """A request item was refused: the call was cancelled for it, and it is what is raised."""
        if self._requests is not None and self._requests.error is not None:
            raise self._requests.error
