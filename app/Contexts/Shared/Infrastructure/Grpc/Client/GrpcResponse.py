from collections.abc import Iterable
from typing import Any, NamedTuple, NoReturn, Self, cast

import grpc
import grpc.aio
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SettledCoroutine import SettledCoroutine
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import MetadataValue
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Client.Status.GrpcStatusErrors import (
    GrpcStatusErrors,
)

RawMetadata = Iterable[tuple[str, MetadataValue]]


class _State(NamedTuple):
    code: grpc.StatusCode
    message: Message | None
    details: str
    initial: RawMetadata
    trailing: RawMetadata
    attempts: int
    call: grpc.Call | grpc.aio.Call | None


class GrpcResponse:
    """The outcome of one call, successful or not, as a value that cannot change afterwards.

    A failed call is a response too (never an exception), so callers branch on
    ``is_success()`` and keep the server's code, details and metadata. Built on
    every call, so it costs one attribute store (its state is one tuple), and a
    successful call's metadata is read from the finished call only when asked
    for, since most callers never look at it.
    """

    __slots__ = ("_state",)
    _state: _State

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
        state = _State(
            status_code, message, details, initial_metadata, trailing_metadata, attempts, None
        )
        object.__setattr__(self, "_state", state)

    @classmethod
    def of_call(cls, reply: Message, call: grpc.Call) -> "GrpcResponse":
        """A success from the blocking API, whose finished call still holds the metadata."""
        response = cls.__new__(cls)
        state = _State(grpc.StatusCode.OK, reply, "", (), (), 1, call)
        object.__setattr__(response, "_state", state)
        return response

    @classmethod
    def of_aio_call(cls, reply: Message, call: grpc.aio.Call) -> "GrpcResponse":
        """A success from grpc.aio; its metadata is read from the finished call when asked for."""
        response = cls.__new__(cls)
        state = _State(grpc.StatusCode.OK, reply, "", (), (), 1, call)
        object.__setattr__(response, "_state", state)
        return response

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
        return self._state.code is grpc.StatusCode.OK

    def status_code(self) -> grpc.StatusCode:
        return self._state.code

    def details(self) -> str:
        return self._state.details

    def message(self) -> Any:
        """The decoded reply, or ``None`` when the call failed.

        Typed ``Any`` on purpose: the concrete class depends on the method, and
        ``response.message().name`` should read naturally at the call site.
        """
        return self._state.message

    def raise_for_status(self) -> Self:
        """Return this response if it succeeded, else raise its ``RemoteServiceError``.

        For callers who would rather let a failure propagate than branch on
        ``is_success()``: the error is the domain's (``RemoteResourceNotFound``,
        ``RemoteServiceUnavailable``...), so the code catching it needs no grpc
        import. Returning the response lets a call read as one expression:
        ``client.call(request).raise_for_status().message()``.
        """
        state = self._state
        if state.code is grpc.StatusCode.OK:
            return self
        raise GrpcStatusErrors.error_for(state.code, state.details)

    def attempts(self) -> int:
        """How many times the call went on the wire.

        0 when it was refused locally (open circuit, full bulkhead), more than 1
        when it was retried.
        """
        return self._state.attempts

    def after_attempts(self, attempts: int) -> "GrpcResponse":
        """The same outcome, recording how many attempts it took."""
        response = GrpcResponse.__new__(GrpcResponse)
        object.__setattr__(response, "_state", self._state._replace(attempts=attempts))
        return response

    def metadata(self) -> GrpcMetadata:
        """Initial then trailing metadata, every pair kept."""
        return GrpcMetadata((*self._initial(), *self._trailing()))

    def initial_metadata(self) -> GrpcMetadata:
        return GrpcMetadata(self._initial())

    def trailing_metadata(self) -> GrpcMetadata:
        return GrpcMetadata(self._trailing())

    def _initial(self) -> RawMetadata:
        call = self._state.call
        if call is None:
            return self._state.initial
        if isinstance(call, grpc.aio.Call):
            return SettledCoroutine.result(call.initial_metadata())
        return cast(RawMetadata, call.initial_metadata() or ())

    def _trailing(self) -> RawMetadata:
        call = self._state.call
        if call is None:
            return self._state.trailing
        if isinstance(call, grpc.aio.Call):
            return SettledCoroutine.result(call.trailing_metadata())
        return cast(RawMetadata, call.trailing_metadata() or ())

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"GrpcResponse is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"GrpcResponse is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        state = self._state
        if self.is_success():
            body = type(state.message).__name__ if state.message is not None else "no message"
        else:
            body = f"details={state.details!r}"
        tries = f" attempts={state.attempts}" if state.attempts != 1 else ""
        return f"<GrpcResponse {state.code.name} {body}{tries} metadata={self.metadata()!r}>"
