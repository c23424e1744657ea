from abc import ABC, abstractmethod

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata


class StreamAttempt(ABC):
    """One attempt of a server-streaming or bidi call, open on the wire: the blocking side.

    What ``GrpcTransport.open`` returns and ``GrpcStream`` reads from. It only
    carries messages: whether the attempt is retried, when the stream counts as
    started, and what its end means are ``CallEngine``'s decisions.
    """

    @abstractmethod
    def receive(self) -> Message | GrpcResponse:
        """The next reply message, blocking; once the attempt has ended, its final response.

        A failure is a response, never raised; a request item that could not be
        sent is raised (``InvalidGrpcMessage``), the call being cancelled first.
        """

    @abstractmethod
    def write(self, message: Message) -> bool:
        """Send one more message, already checked, on a stream whose caller writes them.

        ``False`` when the call has ended, so the message will never be sent.
        """

    @abstractmethod
    def done_writing(self) -> None:
        """Tell the server no more messages follow (a half-close)."""

    @abstractmethod
    def cancel(self) -> None:
        """Cancel the call on the server; ``receive`` then answers CANCELLED. Safe twice."""

    @abstractmethod
    def initial_metadata(self) -> RawMetadata:
        """The server's initial metadata: asked once a message arrived or the attempt ended."""

    @property
    @abstractmethod
    def sent(self) -> int:
        """How many request messages went out so far."""
