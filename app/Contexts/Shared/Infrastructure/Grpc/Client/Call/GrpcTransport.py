from abc import ABC, abstractmethod

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse


class GrpcTransport(ABC):
    """The port a call's attempts go through: send this prepared call, give me its outcome.

    ``CallEngine`` decides when to send and with what timeout (seconds); a
    transport only sends, blocking (``send``) or awaiting (``send_async``), and
    answers a ``GrpcResponse`` whatever the server or the network did. grpcio's
    channels implement it (``Attempt``); ``FakeGrpcClient`` answers in memory
    (``ScriptedAttempt``), under the same engine. A call that sends a stream
    and gets one reply is sent like a unary one; a call that receives a stream
    is opened (``open``, ``open_async``): the attempt is then read message by
    message, or is a response already when it could not be opened.
    """

    @abstractmethod
    def send(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse: ...

    @abstractmethod
    async def send_async(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse: ...

    @abstractmethod
    def open(self, invocation: GrpcInvocation, seconds: float) -> StreamAttempt | GrpcResponse:
        """Start a server-streaming or bidi attempt with a timeout of ``seconds``."""

    @abstractmethod
    async def open_async(
        self, invocation: GrpcInvocation, seconds: float
    ) -> AsyncStreamAttempt | GrpcResponse:
        """``open`` on this event loop's channel."""
