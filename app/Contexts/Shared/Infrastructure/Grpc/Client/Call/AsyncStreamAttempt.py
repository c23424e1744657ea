from abc import ABC, abstractmethod

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata


class AsyncStreamAttempt(ABC):
    """``StreamAttempt`` for asyncio: what ``GrpcTransport.open_async`` returns.

    The same contract, awaited; ``cancel`` stays a plain method, so a stream
    dropped without being closed can still cancel its call.
    """

    @abstractmethod
    async def receive(self) -> Message | GrpcResponse:
        """The next reply message; once the attempt has ended, its final response."""

    @abstractmethod
    async def write(self, message: Message) -> bool:
        """Send one more message, already checked, waiting for flow control to take it.

        ``False`` when the call has ended, so the message was not sent.
        """

    @abstractmethod
    async def done_writing(self) -> None:
        """Tell the server no more messages follow (a half-close)."""

    @abstractmethod
    def cancel(self) -> None:
        """Cancel the call on the server; ``receive`` then answers CANCELLED. Safe twice."""

    @abstractmethod
    async def initial_metadata(self) -> RawMetadata:
        """The server's initial metadata: asked once a message arrived or the attempt ended."""

    @property
    @abstractmethod
    def sent(self) -> int:
        """How many request messages went out so far."""
