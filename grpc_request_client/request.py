"""Request objects: what a call sends (service, method, message, metadata, timeout)."""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any, Generic, NoReturn

import grpc
from google.protobuf.message import Message
from typing_extensions import TypeVar

from grpc_request_client.errors import UnsupportedGrpcMethod
from grpc_request_client.policies import RetryPolicy

MetadataValue = str | bytes
RequestMetadata = Mapping[str, MetadataValue | None] | Iterable[tuple[str, MetadataValue]]
# The reply message class a request declares (``GrpcRequest[User]``); a request that declares
# none has replies typed ``Any``, as before replies were typed (PEP 696 default).
ReplyT_co = TypeVar("ReplyT_co", bound=Message, covariant=True, default=Any)


class GrpcRequest(ABC, Generic[ReplyT_co]):
    """One unary call, declared as an object: where it goes, what it sends, how long it may take.

    The client asks for each piece when it sends the request, so a subclass
    computes them however it likes. Only the three abstract methods are
    required; the rest have the defaults most calls want.

    The class parameter is the method's reply message class, for type
    checkers only: ``class GetUser(BaseGrpcRequest[User])`` makes
    ``client.call(GetUser(...))`` a ``GrpcResponse[User]`` and a stream of it
    a ``GrpcStream[User]``. Nothing checks it at run time (the reply is
    decoded as the method's descriptor says), so it must name the method's
    output type. A request without one (``class GetUser(BaseGrpcRequest)``)
    has replies typed ``Any``.
    """

    @abstractmethod
    def service_name(self) -> str:
        """Fully qualified service, as in the .proto: ``"user.UserService"``."""

    @abstractmethod
    def method_name(self) -> str:
        """Method of that service: ``"GetUser"``."""

    @abstractmethod
    def message(self) -> Message:
        """The protobuf message to send; it must be the method's input type."""

    def metadata(self) -> RequestMetadata:
        """Extra metadata: a mapping, or ``(key, value)`` pairs to repeat a key.

        ``None`` values are dropped, so optional context can be passed as is. A
        fresh dict each time, so a subclass may extend ``super().metadata()``.
        """
        return {}

    def timeout(self) -> float | None:
        """Seconds this call may take; ``None`` means the client's ``default_timeout``."""
        return None

    def response_class(self) -> type[ReplyT_co] | None:
        """The reply's message class, for services whose descriptors are not imported.

        Normally the client finds it in the protobuf descriptor pool once the
        generated ``*_pb2`` module is imported, and this stays ``None``.
        """
        return None

    def idempotent(self) -> bool:
        """Whether sending this twice is harmless; only then are ambiguous failures retried.

        DEADLINE_EXCEEDED, for one, may arrive after the server did the work:
        retrying a read is fine, retrying "charge the card" is not.
        """
        return False

    def retry_policy(self) -> RetryPolicy | None:
        """A policy for this request alone; ``None`` means the client's."""
        return None

    def compression(self) -> grpc.Compression | str | None:
        """This call's compression (``"gzip"``, ``"deflate"``, ``"none"``), or the client's."""
        return None

    def wait_for_ready(self) -> bool | None:
        """Whether this call waits for a connection instead of failing fast; ``None``: the client's.

        With ``True``, a call made while the server is unreachable (starting,
        restarting) waits for it to come up, within its deadline, instead of
        failing at once with UNAVAILABLE (grpc's ``wait_for_ready``, gRFC A10's
        "wait for ready" semantics).
        """
        return None


class BaseGrpcRequest(GrpcRequest[ReplyT_co]):
    """The class request objects extend, so shared behaviour has one place to live.

    Its ``metadata()`` (``GrpcRequest``'s) returns a fresh dict that subclasses extend with
    ``{**super().metadata(), ...}``; a family of requests (an ``AdminRequest``
    that adds credentials, say) can sit in between and leave the service, method
    and message to its own subclasses. Its ``repr`` names the call and never the
    metadata, because that is where tokens travel.
    """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} /{self.service_name()}/{self.method_name()}>"


RequestMessages = Iterable[Message] | AsyncIterable[Message] | None


class StreamingGrpcRequest(BaseGrpcRequest[ReplyT_co]):
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
        is sent, for a generator when it is reached. An exception the iterator
        raises is a ``GrpcRequestMessagesFailed`` chained to it. Either way the
        call is cancelled, never half-closed, so the server is not told the
        messages before were the whole stream. The iterator is closed once the
        call no longer reads it (ended, failed, cancelled, deadline passed).
        ``None``, for a bidirectional method only: the caller sends them with
        the stream's ``write()`` and ends with ``done_writing()``.
        """

    def message(self) -> NoReturn:
        """Not asked: this request sends ``messages()``."""
        raise UnsupportedGrpcMethod(
            f"/{self.service_name()}/{self.method_name()}: a StreamingGrpcRequest sends "
            "messages(), never one message()"
        )
