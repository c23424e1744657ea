from dataclasses import dataclass

from google.protobuf.message import EncodeError, Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)


@dataclass(frozen=True, slots=True, eq=False)
class GrpcMethod:
    """A resolved unary method: its wire path and the message classes on either side.

    Compared by identity (``eq=False``): the catalog hands out one instance per
    path, so channels can key their cached multicallables on it at the cost of a
    pointer hash. ``request_class`` is ``None`` when the method was declared by
    the request rather than found in the descriptor pool; then any protobuf
    message is accepted, since there is nothing to check it against.
    """

    service: str
    name: str
    request_class: type[Message] | None
    response_class: type[Message]

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"

    def check(self, message: object) -> None:
        if type(message) is self.request_class:
            return
        expected = self.request_class.DESCRIPTOR.full_name if self.request_class else None
        if not isinstance(message, Message):
            wanted = expected or "a protobuf message"
            raise InvalidGrpcMessage(
                f"{self.path} takes {wanted}; message() returned {type(message).__qualname__}"
            )
        if expected is not None and message.DESCRIPTOR.full_name != expected:
            raise InvalidGrpcMessage(
                f"{self.path} takes {expected}; message() returned {message.DESCRIPTOR.full_name}"
            )

    def encode(self, message: Message) -> bytes:
        """The bytes to send, made once per call so every attempt sends the same ones.

        Raises ``InvalidGrpcMessage`` for a message protobuf refuses to
        serialize (a proto2 message missing a required field).
        """
        try:
            return message.SerializeToString()
        except EncodeError as error:
            raise InvalidGrpcMessage(
                f"{self.path}: message() cannot be serialized: {error}"
            ) from error

    def decode(self, payload: bytes) -> Message:
        """The reply as ``response_class``; raises protobuf's ``DecodeError`` for bad bytes.

        Decoding here rather than in grpc gives ``call`` and ``call_async`` one
        answer for an undecodable reply: grpc's blocking API fails such a call
        with INTERNAL, while grpc.aio logs the error and returns ``None``.
        """
        return self.response_class.FromString(payload)
