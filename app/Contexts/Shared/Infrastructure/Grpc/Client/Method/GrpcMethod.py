from dataclasses import dataclass, field

from google.protobuf.message import Message

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
    message is accepted, since there is nothing to check it against. The call
    encodes the request (``GrpcInvocationFactory``) and decodes the reply
    (``Attempt``) with these classes, once per call, with no frame in between.
    """

    service: str
    name: str
    request_class: type[Message] | None
    response_class: type[Message]
    path: str = field(init=False)

    def __post_init__(self) -> None:
        """The wire path, ``/service/method``, made once: every call reads it."""
        object.__setattr__(self, "path", f"/{self.service}/{self.name}")

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
