from dataclasses import dataclass, field

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)

_SENDS_STREAM = frozenset({"client_stream", "bidi_stream"})
_RECEIVES_STREAM = frozenset({"server_stream", "bidi_stream"})


@dataclass(frozen=True, slots=True, eq=False)
class GrpcMethod:
    """A resolved method: its wire path, call kind and the message classes on either side.

    Compared by identity (``eq=False``): the catalog hands out one instance per
    path, so channels can key their cached multicallables on it at the cost of a
    pointer hash. ``request_class`` is ``None`` when the method was declared by
    the request rather than found in the descriptor pool; then any protobuf
    message is accepted, since there is nothing to check it against. The call
    encodes the request (``GrpcInvocationFactory``) and decodes the reply
    (``Attempt``) with these classes, once per call, with no frame in between.
    ``kind`` is the call kind as go-grpc-middleware's ``grpc_type`` label names
    it: ``"unary"``, ``"client_stream"``, ``"server_stream"`` or
    ``"bidi_stream"``, read from the method's descriptor (a method declared by
    the request alone is unary).
    """

    service: str
    name: str
    request_class: type[Message] | None
    response_class: type[Message]
    kind: str = "unary"
    path: str = field(init=False)
    sends_stream: bool = field(init=False)
    receives_stream: bool = field(init=False)

    def __post_init__(self) -> None:
        """The wire path, ``/service/method``, and the kind's two sides, made once.

        Every call reads them: ``sends_stream`` (client streaming or bidi) and
        ``receives_stream`` (server streaming or bidi).
        """
        object.__setattr__(self, "path", f"/{self.service}/{self.name}")
        object.__setattr__(self, "sends_stream", self.kind in _SENDS_STREAM)
        object.__setattr__(self, "receives_stream", self.kind in _RECEIVES_STREAM)

    def check(self, message: object, source: str = "message() returned") -> None:
        """Raise ``InvalidGrpcMessage`` unless ``message`` is what the method takes.

        ``source`` says where the message came from, for the error
        (``"messages() item 3 is"``, ``"write() was given"``).
        """
        if type(message) is self.request_class:
            return
        expected = self.request_class.DESCRIPTOR.full_name if self.request_class else None
        if not isinstance(message, Message):
            wanted = expected or "a protobuf message"
            raise InvalidGrpcMessage(
                f"{self.path} takes {wanted}; {source} {type(message).__qualname__}"
            )
        if expected is not None and message.DESCRIPTOR.full_name != expected:
            raise InvalidGrpcMessage(
                f"{self.path} takes {expected}; {source} {message.DESCRIPTOR.full_name}"
            )
