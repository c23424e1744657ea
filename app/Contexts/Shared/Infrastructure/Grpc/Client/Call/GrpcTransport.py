from abc import ABC, abstractmethod

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse


class GrpcTransport(ABC):
    """The port a call's attempts go through: send this prepared call, give me its outcome.

    ``CallEngine`` decides when to send and with what timeout (seconds); a
    transport only sends, blocking (``send``) or awaiting (``send_async``), and
    answers a ``GrpcResponse`` whatever the server or the network did. grpcio's
    channels implement it (``Attempt``); ``FakeGrpcClient`` answers in memory
    (``ScriptedAttempt``), under the same engine.
    """

    @abstractmethod
    def send(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse: ...

    @abstractmethod
    async def send_async(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse: ...
