from __future__ import annotations

import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from queue import SimpleQueue

from google.protobuf.message import EncodeError, Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod
from app.Contexts.Shared.Infrastructure.Grpc.Client.StreamingGrpcRequest import RequestMessages

_DONE = object()  # what done_writing() queues: the end of a written stream
# How long a refused item waits for its call to exist, so it can cancel it (grpcio's
# blocking API starts reading the messages before it returns the call object).
_BIND_SECONDS = 5.0


class RequestStream:
    """One attempt's request messages, checked and encoded as grpc takes them, and counted.

    grpc reads them itself (grpcio's blocking API on a thread of its own, grpc.aio
    in a task), one at a time as flow control lets each go. An item that is not
    the method's input type is refused with the index it had: the error is kept
    (``error``) and the call cancelled before anything would tell the server the
    stream was complete, so it never takes a truncated stream for a whole one;
    the driver then raises the error. With no messages given (a bidi stream
    the caller writes to), ``write`` queues what the caller sends and
    ``done_writing`` ends it.
    """

    def __init__(self, method: GrpcMethod, messages: RequestMessages) -> None:
        self._method = method
        self._messages = messages
        self.sent = 0
        self.error: InvalidGrpcMessage | None = None
        self._cancel: Callable[[], object] | None = None
        self._bound = threading.Event()
        self._written: SimpleQueue[object] = SimpleQueue()

    def bind(self, cancel: Callable[[], object] | None) -> None:
        """The call exists: ``cancel`` cancels it, at once if an item was refused already.

        ``None`` for a call grpc cancels itself when the iterator raises
        (grpcio's blocking API): a refused item is then raised at once.
        """
        self._cancel = cancel
        self._bound.set()

    def payloads(self) -> Iterator[bytes] | AsyncIterator[bytes]:
        """What grpc's request iterator argument takes: bytes, sync or async as the messages are."""
        messages = self._messages
        if messages is None:
            return self._queued()
        if isinstance(messages, Iterable):
            return self._encoded(messages)
        return self._encoded_async(messages)

    def write(self, message: Message) -> None:
        """Queue a message the caller writes (the stream checked it already)."""
        self._written.put(message.SerializeToString())

    def done_writing(self) -> None:
        """End a written stream: grpc half-closes it once the messages before went out."""
        self._written.put(_DONE)

    def stop(self) -> None:
        """The call ended: let grpc's reader of a written stream return instead of waiting on.

        Harmless after ``done_writing`` and twice; grpc sends no half-close on
        a call that has ended.
        """
        self._written.put(_DONE)

    def _queued(self) -> Iterator[bytes]:
        get = self._written.get
        while (payload := get()) is not _DONE:
            self.sent += 1
            yield payload  # type: ignore[misc]  # only bytes and _DONE are queued

    def _encoded(self, messages: Iterable[Message]) -> Iterator[bytes]:
        request_class = self._method.request_class
        for index, message in enumerate(messages):
            payload = self._payload(message, index, request_class)
            if payload is None:
                return
            self.sent += 1
            yield payload

    async def _encoded_async(self, messages: AsyncIterable[Message]) -> AsyncIterator[bytes]:
        request_class, index = self._method.request_class, 0
        async for message in messages:
            payload = self._payload(message, index, request_class)
            if payload is None:
                return
            self.sent += 1
            index += 1
            yield payload

    def _payload(
        self, message: Message, index: int, request_class: type[Message] | None
    ) -> bytes | None:
        """The item's bytes; ``None`` once it is refused (the call is then cancelled).

        Typed ``Message`` as ``messages()`` promises; what the caller really
        gave is checked here, before it is used as one.
        """
        try:
            if type(message) is not request_class:
                self._method.check(message, f"messages() item {index} is")
            return message.SerializeToString()
        except InvalidGrpcMessage as error:
            self._refuse(error)
        except EncodeError as error:
            self._refuse(
                InvalidGrpcMessage(
                    f"{self._method.path}: messages() item {index} cannot be serialized: {error}"
                )
            )
        return None

    def _refuse(self, error: InvalidGrpcMessage) -> None:
        self.error = error
        cancel = self._cancel if self._bound.wait(_BIND_SECONDS) else None
        if cancel is None:
            raise error  # grpc then cancels the call itself
        cancel()
