import asyncio

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcTransport import GrpcTransport
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SendEvidence import SendEvidence
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidFakeAnswer import (
    InvalidFakeAnswer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeScript import FakeScript
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCalls import RecordedCalls
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ScriptedRequests import (
    Decode,
    ScriptedRequests,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ScriptedStream import ScriptedStream
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ScriptedStreamAsync import (
    ScriptedStreamAsync,
)


class ScriptedAttempt(GrpcTransport):
    """A ``FakeGrpcClient``'s wire: each attempt is recorded, then answered from the script.

    It stands where ``Attempt`` stands in a real client, under the same
    ``CallEngine``, so bulkhead, breaker, deadline and retries run as in
    production and only the trip to the server is make-believe. Attempts are
    numbered per call (by its ``request-id``, which every attempt shares).

    A client-streaming attempt sends its request's ``messages()`` first, each
    checked and encoded by the client's own ``RequestStream`` as on the wire (a
    refused item is raised, ``InvalidGrpcMessage`` naming its index, and the
    attempt recorded ``cancelled``), then is answered once, its record carrying
    every message sent. A server-streaming or bidi attempt opens a
    ``ScriptedStream`` (``ScriptedStreamAsync`` for ``stream_async``).
    """

    def __init__(self, script: FakeScript) -> None:
        self._script = script
        self._calls = RecordedCalls()

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        return self._calls.calls

    def send(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        message = invocation.message
        if message is None:
            requests = self._client_stream(invocation)
            requests.drain()
            return self._answered(invocation, seconds, requests)
        _, call = self._calls.record(
            invocation, seconds, type(message).FromString(invocation.payload)
        )
        return _judged(self._script.respond(call, invocation.method.response_class))

    async def send_async(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        await asyncio.sleep(0)  # a real call suspends; code under test may rely on it
        if invocation.message is not None:
            return self.send(invocation, seconds)
        requests = self._client_stream(invocation)
        await requests.consume_async()
        requests.drain()
        return self._answered(invocation, seconds, requests)

    def open(self, invocation: GrpcInvocation, seconds: float) -> StreamAttempt | GrpcResponse:
        return self._opened(invocation, seconds)

    async def open_async(
        self, invocation: GrpcInvocation, seconds: float
    ) -> AsyncStreamAttempt | GrpcResponse:
        await asyncio.sleep(0)
        return ScriptedStreamAsync(self._opened(invocation, seconds))

    def _opened(self, invocation: GrpcInvocation, seconds: float) -> ScriptedStream:
        method, message = invocation.method, invocation.message
        copy = None if message is None else type(message).FromString(invocation.payload)
        decode = _decoder(method)
        return ScriptedStream(
            invocation, seconds, copy, decode, script=self._script, calls=self._calls
        )

    @staticmethod
    def _client_stream(invocation: GrpcInvocation) -> ScriptedRequests:
        return ScriptedRequests(
            invocation, _decoder(invocation.method), lambda message: None, lambda: None
        )

    def _answered(
        self, invocation: GrpcInvocation, seconds: float, requests: ScriptedRequests
    ) -> GrpcResponse:
        """The one answer to a client stream whose messages were all sent (or one refused)."""
        error = requests.error
        _, call = self._calls.record(
            invocation, seconds, None, requests.copies(), cancelled=error is not None
        )
        if error is not None:
            raise error
        response = _judged(self._script.respond(call, invocation.method.response_class))
        return response.with_stream_counts(requests.count, response.messages_received())


def _judged(response: GrpcResponse) -> GrpcResponse:
    """Judged as the real transport judges grpc's errors.

    A scripted server has no connection to be READY, so grpc's own texts prove
    a call never left.
    """
    if response.is_success():
        return response
    return SendEvidence.judged(response, connected=False, waited_for_ready=False)


def _decoder(method: GrpcMethod) -> Decode:
    """How the method's request messages are read back from their bytes."""
    request_class: type[Message] | None = method.request_class
    if request_class is None:  # a method known only from its request is unary: never streamed
        raise InvalidFakeAnswer(f"{method.path}: a stream needs the method's descriptor")
    return request_class.FromString
