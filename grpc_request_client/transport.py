"""The transport port: what the engine needs from a wire, for unary calls and streams."""

import asyncio
from abc import ABC, abstractmethod

from google.protobuf.message import Message

from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.response import GrpcResponse, RawMetadata


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


class StreamAttempt(ABC):
    """One attempt of a server-streaming or bidi call, open on the wire: the blocking side.

    What ``GrpcTransport.open`` returns and ``GrpcStream`` reads from. It only
    carries messages: whether the attempt is retried, when the stream counts as
    started, and what its end means are ``CallEngine``'s decisions.
    """

    @abstractmethod
    def receive(self) -> Message | GrpcResponse:
        """The next reply message, blocking; once the attempt has ended, its final response.

        A failure is a response, never raised; what ended the request's messages
        on this side is raised, the call being cancelled first: an item that
        could not be sent (``InvalidGrpcMessage``), an iterator that raised
        (``GrpcRequestMessagesFailed``).
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


class ThreadedStreamAttempt(AsyncStreamAttempt):
    """A blocking ``StreamAttempt`` awaited on worker threads, where grpc.aio cannot run.

    That is a child forked while grpc.aio ran (``GrpcAioPoller``), as for
    ``Attempt.send_async``. A task cancelled while it waits cancels the call
    here, since the thread itself cannot be interrupted.
    """

    def __init__(self, attempt: StreamAttempt) -> None:
        self._attempt = attempt

    async def receive(self) -> Message | GrpcResponse:
        try:
            return await asyncio.to_thread(self._attempt.receive)
        except asyncio.CancelledError:
            self._attempt.cancel()
            raise

    async def write(self, message: Message) -> bool:
        return self._attempt.write(message)

    async def done_writing(self) -> None:
        self._attempt.done_writing()

    def cancel(self) -> None:
        self._attempt.cancel()

    async def initial_metadata(self) -> RawMetadata:
        return await asyncio.to_thread(self._attempt.initial_metadata)

    @property
    def sent(self) -> int:
        return self._attempt.sent
