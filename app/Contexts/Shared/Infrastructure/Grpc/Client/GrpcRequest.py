from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy

MetadataValue = str | bytes
RequestMetadata = Mapping[str, MetadataValue | None] | Iterable[tuple[str, MetadataValue]]


class GrpcRequest(ABC):
    """One unary call, declared as an object: where it goes, what it sends, how long it may take.

    The client asks for each piece when it sends the request, so a subclass
    computes them however it likes. Only the three abstract methods are
    required; the rest have the defaults most calls want.
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

    def response_class(self) -> type[Message] | None:
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
