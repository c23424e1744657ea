from abc import abstractmethod
from collections.abc import AsyncIterable, Iterable
from typing import NoReturn

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.UnsupportedGrpcMethod import (
    UnsupportedGrpcMethod,
)

RequestMessages = Iterable[Message] | AsyncIterable[Message] | None


class StreamingGrpcRequest(BaseGrpcRequest):
    """A request that sends many messages: a client-streaming or bidirectional method.

    The call kind comes from the method's descriptor, so a class only says what
    it sends: ``messages()`` instead of ``message()``. Everything else
    (metadata, timeout, retry policy, ...) is a ``GrpcRequest``'s. A request
    that sends one message, server streaming included, extends ``GrpcRequest``
    (or ``BaseGrpcRequest``) and keeps ``message()``.

    What ``messages()`` returns decides what retries may do: a sequence (a
    list, a tuple) can be sent again, so a failed attempt may be retried while
    no reply message has arrived yet; any other iterable (a generator, a file
    read in chunks) is sent once, and such a call is never retried.
    """

    @abstractmethod
    def messages(self) -> RequestMessages:
        """The messages to send, in order: an iterable, or an async iterable for ``*_async``.

        Each item must be the method's input type; one that is not is an
        ``InvalidGrpcMessage`` naming its index: for a sequence before anything
        is sent, for a generator when it is reached (the call is then cancelled,
        so the server never takes the messages before it for a whole stream).
        ``None``, for a bidirectional method only: the caller sends them with
        the stream's ``write()`` and ends with ``done_writing()``.
        """

    def message(self) -> NoReturn:
        """Not asked: this request sends ``messages()``."""
        raise UnsupportedGrpcMethod(
            f"/{self.service_name()}/{self.method_name()}: a StreamingGrpcRequest sends "
            "messages(), never one message()"
        )
