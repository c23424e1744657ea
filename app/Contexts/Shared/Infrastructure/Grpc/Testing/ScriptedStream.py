import threading
from typing import Any

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SendEvidence import SendEvidence
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeScript import FakeScript
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCalls import RecordedCalls
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ScriptedRequests import (
    Decode,
    ScriptedRequests,
)

# grpcio's own details for a call its caller cancelled.
_CANCELLED = GrpcResponse(grpc.StatusCode.CANCELLED, details="Locally cancelled by application!")


class ScriptedStream(StreamAttempt):
    """One server-streaming or bidi attempt of a ``FakeGrpcClient``, answered from the script.

    The attempt is recorded as it opens and its record kept up to date (each
    message sent, a cancel). Its replies are the scripted answer's items,
    produced as the caller reads (``receive``), in the caller's thread: a
    stream handler runs then, and sees what was sent before that read. At the
    end, what is left of the request's ``messages()`` is sent, as a client
    sends it while the server answers, and a failure is judged as the real
    transport judges grpc's (``SendEvidence``). ``cancel`` ends the attempt
    CANCELLED with grpcio's own words, closes the handler (its ``finally``
    runs) and marks the record ``cancelled``.
    """

    def __init__(
        self,
        invocation: GrpcInvocation,
        seconds: float,
        message: Message | None,
        decode: Decode,
        *,
        script: FakeScript,
        calls: RecordedCalls,
    ) -> None:
        self._calls = calls
        self._index, call = calls.record(invocation, seconds, message)
        self._final: GrpcResponse | None = None
        self._cancelled = False
        self._pulling = threading.Lock()
        self._requests = ScriptedRequests(invocation, decode, self._recorded, self.cancel)
        method = invocation.method
        self._initial, self._replies = script.open(
            call, method.response_class, self._requests.for_handler()
        )

    def receive(self) -> Message | GrpcResponse:
        if self._final is not None:
            return self._final
        if self._cancelled:
            return self._ended(_CANCELLED)
        with self._pulling:
            item = next(self._replies, None)
        self._raise_refused()
        if item is None:  # closed by a cancel() from another thread meanwhile
            return self._ended(_CANCELLED)
        if isinstance(item, GrpcResponse):
            self._requests.drain()
            self._raise_refused()
            return self._ended(item)
        return item

    def write(self, message: Message) -> bool:
        if self._final is not None or self._cancelled:
            return False
        self._requests.write(message)
        return True

    def done_writing(self) -> None:
        self._requests.done_writing()

    def cancel(self) -> None:
        if self._final is not None or self._cancelled:
            return
        self._cancelled = True
        self._calls.cancelled(self._index)
        self._requests.stop()
        if self._pulling.acquire(blocking=False):  # not while a read runs the handler
            try:
                self._replies.close()
            finally:
                self._pulling.release()

    def initial_metadata(self) -> RawMetadata:
        return self._initial

    @property
    def sent(self) -> int:
        return self._requests.count

    @property
    def finished(self) -> bool:
        """Whether the attempt has ended, read to its end or cancelled: it takes no more writes."""
        return self._final is not None or self._cancelled

    async def consume_async(self) -> None:
        """Send the request's async iterable of messages: the async API's, before a read."""
        await self._requests.consume_async()

    def _recorded(self, message: Any) -> None:
        self._calls.sent(self._index, message)

    def _raise_refused(self) -> None:
        """A request item was refused: the call is cancelled for it, and it is what is raised."""
        error = self._requests.error
        if error is not None:
            self.cancel()
            self._replies.close()
            raise error

    def _ended(self, response: GrpcResponse) -> GrpcResponse:
        if not response.is_success():
            response = SendEvidence.judged(response, connected=False, waited_for_ready=False)
        self._final = response
        self._requests.stop()
        self._replies.close()
        return response
