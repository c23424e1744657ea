from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.RequestStream import RequestStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.FakeStreamStalled import (
    FakeStreamStalled,
)

Decode = Callable[[bytes], Message]
Sent = Callable[[Message], None]


class ScriptedRequests:
    """The request messages of one scripted attempt: what the caller sends, as the fake reads it.

    A request's ``messages()`` go through the client's own ``RequestStream``, as
    on the wire: each item is checked by the method (``InvalidGrpcMessage``
    naming its index, kept in ``error``, the call then cancelled by
    ``refused``) and encoded, and taken only when it is read (``pull``, or the
    handler's iterator), so a generator runs as far as the "server" reads it.
    An async iterable (the async API's) is taken whole by ``consume_async``. A
    bidi stream whose request returns ``None`` gets the caller's ``write``s
    instead, until ``done_writing``. Each message sent is handed to ``sent``,
    a copy decoded from its bytes. The one message of a server-streaming call
    is there from the start, and is not handed to ``sent``.
    """

    def __init__(
        self, invocation: GrpcInvocation, decode: Decode, sent: Sent, refused: Callable[[], None]
    ) -> None:
        method = invocation.method
        self._path = method.path
        self._decode = decode
        self._sent = sent
        self._payloads: list[bytes] = []
        self._read = 0
        self._done = False
        self._source: Iterator[bytes] | None = None
        self._pending: AsyncIterator[bytes] | None = None
        self._stream: RequestStream | None = None
        if not method.sends_stream:
            self._payloads.append(invocation.payload)
            self._done = True
        elif invocation.messages is not None:
            self._stream = RequestStream(method, invocation.messages)
            self._stream.bind(refused)  # a refused item cancels the call at once
            payloads = self._stream.payloads()
            if isinstance(payloads, Iterator):
                self._source = payloads
            else:
                self._pending = payloads

    @property
    def count(self) -> int:
        """How many request messages went out so far."""
        return len(self._payloads)

    @property
    def error(self) -> InvalidGrpcMessage | None:
        """The refusal of an item of ``messages()``, once one was refused."""
        return None if self._stream is None else self._stream.error

    def copies(self) -> tuple[Any, ...]:
        """Every message sent so far, in order, each a fresh copy."""
        return tuple(self._decode(payload) for payload in self._payloads)

    def write(self, message: Message) -> None:
        """One message the caller wrote (the stream checked it already)."""
        self._add(message.SerializeToString())

    def done_writing(self) -> None:
        self._done = True

    def stop(self) -> None:
        """The attempt ended: nothing more is sent, and the handler's requests end."""
        self._done = True
        self._source = self._pending = None

    def drain(self) -> None:
        """Send what is left of ``messages()``, as a client does while the server answers."""
        while self._pull():
            pass

    async def consume_async(self) -> None:
        """Send a whole async iterable of messages; nothing for any other kind of request."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        async for payload in pending:
            self._add(payload)
        self._done = True

    def for_handler(self) -> Iterator[Any]:
        """The messages as the handler reads them: each a copy, taken as it is asked for.

        Raises ``FakeStreamStalled`` when the handler asks for a message the
        caller has not written, and has not ended the requests either: the
        handler runs while the caller reads, so none could come.
        """
        while True:
            while self._read >= len(self._payloads):
                if self._pull():
                    continue
                if self._done:
                    return
                raise FakeStreamStalled(
                    f"{self._path}: the handler asks for request message {self._read + 1}, but "
                    f"the caller wrote {len(self._payloads)} before this read: write() each "
                    "message the handler needs before reading its answer, or call "
                    "done_writing() to end the requests"
                )
            payload = self._payloads[self._read]
            self._read += 1
            yield self._decode(payload)

    def _pull(self) -> bool:
        """Send the next item of ``messages()``; ``False`` once none is left, or one was refused."""
        source = self._source
        if source is None:
            return False
        payload = next(source, None)
        if payload is None:
            self._source = None
            self._done = True
            return False
        self._add(payload)
        return True

    def _add(self, payload: bytes) -> None:
        self._payloads.append(payload)
        self._sent(self._decode(payload))
