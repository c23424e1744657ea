from collections.abc import Iterable
from typing import Any, NoReturn, cast

import grpc
import grpc.aio
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import MetadataValue
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata

RawMetadata = Iterable[tuple[str, MetadataValue]]


class GrpcResponse:
    """The outcome of one call, successful or not, as a value that cannot change afterwards.

    A failed call is a response too (never an exception), so callers branch on
    ``is_success()`` and keep the server's code, details and metadata. Metadata
    is kept as received and only turned into ``GrpcMetadata`` when asked for,
    because most callers never look at it.
    """

    __slots__ = ("_attempts", "_details", "_initial", "_message", "_status_code", "_trailing")
    _status_code: grpc.StatusCode
    _message: Message | None
    _details: str
    _initial: RawMetadata
    _trailing: RawMetadata
    _attempts: int

    def __init__(
        self,
        status_code: grpc.StatusCode,
        message: Message | None = None,
        details: str = "",
        initial_metadata: RawMetadata = (),
        trailing_metadata: RawMetadata = (),
        *,
        attempts: int = 1,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_status_code", status_code)
        setattr_(self, "_message", message)
        setattr_(self, "_details", details)
        setattr_(self, "_initial", initial_metadata)
        setattr_(self, "_trailing", trailing_metadata)
        setattr_(self, "_attempts", attempts)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "GrpcResponse":
        """Keep everything the failure carried: code, details and both kinds of metadata."""
        if isinstance(error, grpc.Call | grpc.aio.AioRpcError):
            return cls(
                error.code(),
                details=error.details() or "",
                initial_metadata=cast(RawMetadata, error.initial_metadata() or ()),
                trailing_metadata=cast(RawMetadata, error.trailing_metadata() or ()),
            )
        return cls(grpc.StatusCode.UNKNOWN, details=str(error) or type(error).__name__)

    def is_success(self) -> bool:
        return self._status_code is grpc.StatusCode.OK

    def status_code(self) -> grpc.StatusCode:
        return self._status_code

    def details(self) -> str:
        return self._details

    def message(self) -> Any:
        """The decoded reply, or ``None`` when the call failed.

        Typed ``Any`` on purpose: the concrete class depends on the method, and
        ``response.message().name`` should read naturally at the call site.
        """
        return self._message

    def attempts(self) -> int:
        """How many times the call went on the wire: 0 when it was refused locally
        (open circuit, full bulkhead), more than 1 when it was retried."""
        return self._attempts

    def after_attempts(self, attempts: int) -> "GrpcResponse":
        """The same outcome, recording how many attempts it took."""
        return GrpcResponse(
            self._status_code,
            self._message,
            self._details,
            self._initial,
            self._trailing,
            attempts=attempts,
        )

    def metadata(self) -> GrpcMetadata:
        """Initial then trailing metadata, every pair kept."""
        return GrpcMetadata((*self._initial, *self._trailing))

    def initial_metadata(self) -> GrpcMetadata:
        return GrpcMetadata(self._initial)

    def trailing_metadata(self) -> GrpcMetadata:
        return GrpcMetadata(self._trailing)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"GrpcResponse is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"GrpcResponse is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        if self.is_success():
            body = type(self._message).__name__ if self._message is not None else "no message"
        else:
            body = f"details={self._details!r}"
        tries = f" attempts={self._attempts}" if self._attempts != 1 else ""
        return f"<GrpcResponse {self._status_code.name} {body}{tries} metadata={self.metadata()!r}>"
