import inspect
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidFakeAnswer import (
    InvalidFakeAnswer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeAnswer import FakeAnswer, ResponseMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall

# A stream handler: the call as it opened and the request messages as the caller sends
# them, to an iterable of reply messages in which a GrpcResponse ends the stream.
StreamHandler = Callable[[RecordedCall, Iterator[Any]], Iterable[Message | GrpcResponse]]
Replies = Generator[Message | GrpcResponse, None, None]
_ENDED_OK = GrpcResponse(grpc.StatusCode.OK)


class FakeStreamAnswer:
    """One scripted answer of a ``FakeGrpcClient`` for a method that streams its replies.

    What the script says (messages then a status, or a handler's items) comes
    out of ``replies_for`` one item at a time, as the caller reads: reply
    messages, each of the method's reply class and copied through the wire
    format, then exactly one ``GrpcResponse``, the stream's end (OK when the
    items run out without one). Anything a real stream never carries is
    refused with ``InvalidFakeAnswer`` when it is reached: an item that is no
    message, a message of another class, an end that carries a message or
    initial metadata (a stream's headers go before its messages: they are
    ``initial``).
    """

    def __init__(
        self,
        produce: Callable[[RecordedCall, Iterator[Any]], object],
        initial: RawMetadata,
        scripted_by: str,
        scripted: tuple[Message, ...] = (),
    ) -> None:
        self._produce = produce
        self.initial = initial
        self.scripted_by = scripted_by
        self.scripted = scripted

    @classmethod
    def replies(
        cls,
        messages: Iterable[Message],
        code: grpc.StatusCode,
        details: str,
        initial: ResponseMetadata,
        trailing: ResponseMetadata,
    ) -> "FakeStreamAnswer":
        """``messages``, in order, then the end with ``code``: a failure midway when not OK."""
        if isinstance(messages, Message | str | bytes) or not isinstance(messages, Iterable):
            raise InvalidFakeAnswer(
                "reply_stream() takes an iterable of the protobuf messages to send (a list), "
                f"got {type(messages).__name__}"
            )
        scripted = tuple(messages)
        for index, message in enumerate(scripted):
            if not isinstance(message, Message):
                raise InvalidFakeAnswer(
                    f"reply_stream() message {index} is a {type(message).__name__}, "
                    "not a protobuf message"
                )
        if not isinstance(code, grpc.StatusCode):
            raise InvalidFakeAnswer(f"status must be a grpc.StatusCode, got {code!r}")
        if not isinstance(details, str):
            raise InvalidFakeAnswer(f"details must be a str, got {type(details).__name__}")
        end = GrpcResponse(code, None, details, (), FakeAnswer.pairs(trailing))
        return cls(
            lambda call, requests: (*scripted, end),
            FakeAnswer.pairs(initial),
            "reply_stream()",
            scripted,
        )

    @staticmethod
    def ending(response: GrpcResponse) -> Replies:
        """A stream that ends at once with ``response``, with no message before."""
        yield response

    @classmethod
    def handler(cls, handler: StreamHandler, initial: ResponseMetadata) -> "FakeStreamAnswer":
        if not callable(handler):
            raise InvalidFakeAnswer(
                "handle_stream() takes a function of the RecordedCall and an iterator of the "
                "request messages, returning an iterable of reply messages, "
                f"got {type(handler).__name__}"
            )
        return cls(handler, FakeAnswer.pairs(initial), "handle_stream()")

    def replies_for(
        self, call: RecordedCall, requests: Iterator[Any], reply_class: type[Message]
    ) -> Replies:
        """The stream's items, lazily: a handler is first called when the first one is asked.

        Closing the generator closes the handler's own (its ``finally`` runs).
        """
        items = self._items(call, self._produce(call, requests))
        try:
            for item in items:
                if isinstance(item, GrpcResponse):
                    yield self._end(call, item)
                    return
                if not isinstance(item, Message):
                    raise InvalidFakeAnswer(
                        f"{call.path}: a stream handler's items are reply messages and a "
                        f"GrpcResponse to end the stream, got {type(item).__name__}"
                    )
                yield FakeAnswer.received(call, item, reply_class)
            yield self._end(call, _ENDED_OK)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def _end(self, call: RecordedCall, response: GrpcResponse) -> GrpcResponse:
        if response.message() is not None:
            raise InvalidFakeAnswer(
                f"{call.path}: the GrpcResponse that ends a stream carries no message; "
                "send the message before it"
            )
        if response.initial_metadata().pairs():
            raise InvalidFakeAnswer(
                f"{call.path}: a stream's initial metadata goes before its messages: give "
                "initial_metadata= to handle_stream(), not to the GrpcResponse that ends it"
            )
        return GrpcResponse(
            response.status_code(),
            None,
            response.details(),
            self.initial,
            response.trailing_metadata().pairs(),
        )

    @staticmethod
    def _items(call: RecordedCall, produced: object) -> Iterator[object]:
        if inspect.iscoroutine(produced):
            produced.close()  # never awaited: closing it spares a RuntimeWarning
        if inspect.iscoroutine(produced) or inspect.isasyncgen(produced):
            raise InvalidFakeAnswer(
                f"{call.path}: a stream handler must answer directly (return a list, or "
                "yield); async handlers are not supported"
            )
        if isinstance(produced, Message | GrpcResponse | str | bytes) or not isinstance(
            produced, Iterable
        ):
            raise InvalidFakeAnswer(
                f"{call.path}: a stream handler must return an iterable of reply messages "
                f"(a list, or yield them), got {type(produced).__name__}"
            )
        return iter(produced)
