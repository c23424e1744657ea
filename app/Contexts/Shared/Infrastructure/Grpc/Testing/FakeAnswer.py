import inspect
from collections.abc import Callable, Iterable, Mapping

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import MetadataValue
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidFakeAnswer import (
    InvalidFakeAnswer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall

ResponseMetadata = Mapping[str, MetadataValue] | Iterable[tuple[str, MetadataValue]]
Handler = Callable[[RecordedCall], Message | GrpcResponse]


class FakeAnswer:
    """One scripted answer of a ``FakeGrpcClient``, turned into the response a real call returns.

    Whatever the script says (a reply, a failure, a handler's result) goes
    through ``respond``, which refuses what a real client never returns: a
    reply of another class than the method's, a success without a message or a
    failure with one. The reply is copied through the wire format, so each call
    gets its own message, as each real call decodes its own.

    ``scripted_by`` names what scripted it (``"reply()"``...), for an error
    about where it does not fit; ``is_failure`` says it is a failure, which
    fits any method: a stream that fails before its first message is answered
    by it too.
    """

    def __init__(
        self,
        produce: Callable[[RecordedCall], object],
        scripted_by: str,
        *,
        is_failure: bool = False,
    ) -> None:
        self._produce = produce
        self.scripted_by = scripted_by
        self.is_failure = is_failure

    @classmethod
    def reply(
        cls, message: Message, initial: ResponseMetadata, trailing: ResponseMetadata
    ) -> "FakeAnswer":
        if not isinstance(message, Message):
            raise InvalidFakeAnswer(
                f"reply() takes the protobuf message to answer with, got {type(message).__name__}"
            )
        response = GrpcResponse(
            grpc.StatusCode.OK, message, "", cls.pairs(initial), cls.pairs(trailing)
        )
        return cls(lambda call: response, "reply()")

    @classmethod
    def failure(
        cls,
        code: grpc.StatusCode,
        details: str,
        initial: ResponseMetadata,
        trailing: ResponseMetadata,
        scripted_by: str = "fail()",
    ) -> "FakeAnswer":
        if not isinstance(code, grpc.StatusCode) or code is grpc.StatusCode.OK:
            raise InvalidFakeAnswer(
                f"fail() takes a grpc.StatusCode other than OK, got {code!r}; "
                "script a success with reply()"
            )
        if not isinstance(details, str):
            raise InvalidFakeAnswer(f"details must be a str, got {type(details).__name__}")
        response = GrpcResponse(code, None, details, cls.pairs(initial), cls.pairs(trailing))
        return cls(lambda call: response, scripted_by, is_failure=True)

    @classmethod
    def handler(cls, handler: Handler) -> "FakeAnswer":
        if not callable(handler):
            raise InvalidFakeAnswer(
                "handle() takes a function of the RecordedCall returning a message or a "
                f"GrpcResponse, got {type(handler).__name__}"
            )
        return cls(handler, "handle()")

    def respond(self, call: RecordedCall, reply_class: type[Message]) -> GrpcResponse:
        produced = self._produce(call)
        if isinstance(produced, Message):
            produced = GrpcResponse(grpc.StatusCode.OK, produced)
        if not isinstance(produced, GrpcResponse):
            raise InvalidFakeAnswer(self._not_an_answer(call, produced))
        return self._as_received(call, produced, reply_class)

    @staticmethod
    def _as_received(
        call: RecordedCall, response: GrpcResponse, reply_class: type[Message]
    ) -> GrpcResponse:
        message = response.message()
        if response.is_success() and message is None:
            raise InvalidFakeAnswer(f"{call.path}: a successful answer needs a reply message")
        if message is not None:
            if not response.is_success():
                raise InvalidFakeAnswer(f"{call.path}: a failed answer carries no message")
            message = FakeAnswer.received(call, message, reply_class)
        return GrpcResponse(
            response.status_code(),
            message,
            response.details(),
            response.initial_metadata().pairs(),
            response.trailing_metadata().pairs(),
        )

    @staticmethod
    def received(call: RecordedCall, message: object, reply_class: type[Message]) -> Message:
        """A reply as the caller receives it: its own copy, decoded from the wire format.

        Raises ``InvalidFakeAnswer`` unless ``message`` is of the method's reply class.
        """
        expected = reply_class.DESCRIPTOR.full_name
        if not isinstance(message, Message) or message.DESCRIPTOR.full_name != expected:
            raise InvalidFakeAnswer(
                f"{call.path} returns {expected}; the answer is {type(message).__name__}"
            )
        return reply_class.FromString(message.SerializeToString())

    @staticmethod
    def _not_an_answer(call: RecordedCall, produced: object) -> str:
        if inspect.iscoroutine(produced):
            produced.close()  # never awaited: closing it spares a RuntimeWarning
            return f"{call.path}: a handler must answer directly; async handlers are not supported"
        return (
            f"{call.path}: a handler must return a protobuf message or a GrpcResponse, "
            f"got {type(produced).__name__}"
        )

    @staticmethod
    def pairs(metadata: ResponseMetadata) -> RawMetadata:
        """Scripted metadata as ``(key, value)`` pairs; ``InvalidFakeAnswer`` if it is not that."""
        items = metadata.items() if isinstance(metadata, Mapping) else metadata
        try:
            pairs = tuple((key, value) for key, value in items)
        except (TypeError, ValueError) as error:
            raise InvalidFakeAnswer(
                f"metadata must be a mapping or (key, value) pairs, got {type(metadata).__name__}"
            ) from error
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str | bytes):
                raise InvalidFakeAnswer(
                    f"metadata keys must be str and values str or bytes, got key {key!r}"
                )
        return pairs
