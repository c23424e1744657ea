"""``GrpcResponse``: a finished call's status, reply, metadata, and the domain error it maps to."""

from collections.abc import Iterable
from typing import Any, Generic, NamedTuple, Never, NoReturn, Self, cast, overload

import grpc
import grpc.aio
from google.protobuf.message import Message

from grpc_request_client.errors import InvalidGrpcResponse
from grpc_request_client.metadata import GrpcMetadata
from grpc_request_client.request import MetadataValue, ReplyT_co
from grpc_request_client.status import GrpcStatusErrors

RawMetadata = Iterable[tuple[str, MetadataValue]]
_new_object, _new_tuple, _set_attribute = object.__new__, tuple.__new__, object.__setattr__


class _State(NamedTuple):
    code: grpc.StatusCode
    message: Message | None
    details: str
    initial: RawMetadata
    trailing: RawMetadata
    attempts: int
    outcome_unknown: bool
    never_sent: bool
    stream: "_StreamCounts | None"


class _StreamCounts(NamedTuple):
    """What a finished stream carried: messages sent and received, and who ended it."""

    sent: int
    received: int
    closed_by_caller: bool


class GrpcResponse(Generic[ReplyT_co]):
    """The outcome of one call, successful or not, as a value that cannot change afterwards.

    A failed call is a response too (never an exception), so callers branch on
    ``is_success()`` and keep the server's code, details and metadata. It holds
    data only (code, details, metadata, message), never grpc's call object, so a
    response kept after its event loop ended pins nothing. Built on every call,
    so it costs one attribute store: its state is one tuple.

    Generic over the reply message class its request declares:
    ``client.call(GetUser(...))`` is a ``GrpcResponse[User]`` when ``GetUser``
    extends ``BaseGrpcRequest[User]``, and ``reply()`` is then a ``User``.
    """

    __slots__ = ("_state",)
    _state: _State

    def __init__(
        self,
        status_code: grpc.StatusCode,
        message: ReplyT_co | None = None,
        details: str = "",
        initial_metadata: RawMetadata = (),
        trailing_metadata: RawMetadata = (),
        *,
        attempts: int = 1,
    ) -> None:
        """A response made by code (a test double, a stage's answer); a call makes its own.

        Raises ``InvalidGrpcResponse`` naming the part that could not be a
        response's, and ``InvalidGrpcMetadata`` for metadata that is not
        ``(str, str | bytes)`` pairs.
        """
        _check(status_code, message, details, attempts)
        state = _State(
            status_code,
            message,
            details,
            GrpcMetadata(initial_metadata).pairs(),
            GrpcMetadata(trailing_metadata).pairs(),
            attempts,
            False,
            False,
            None,
        )
        object.__setattr__(self, "_state", state)

    @classmethod
    def received(
        cls,
        code: grpc.StatusCode,
        message: Message | None,
        details: str,
        initial_metadata: RawMetadata,
        trailing_metadata: RawMetadata,
    ) -> "GrpcResponse":
        """What one attempt got back, metadata as grpc handed it (tuples already).

        Every call builds one, so the state tuple is made by ``tuple.__new__``
        from the fields in ``_State``'s order, skipping the Python-level
        ``__new__`` a NamedTuple class call runs (0.3 us of every call).
        """
        response = _new_object(cls)
        state = (code, message, details, initial_metadata, trailing_metadata, 1, False, False, None)
        _set_attribute(response, "_state", _new_tuple(_State, state))
        return response

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "GrpcResponse":
        """Keep everything the failure carried: code, details and both kinds of metadata."""
        if isinstance(error, grpc.Call | grpc.aio.AioRpcError):
            return cls.received(
                error.code(),
                None,
                error.details() or "",
                tuple(cast(RawMetadata, error.initial_metadata() or ())),
                tuple(cast(RawMetadata, error.trailing_metadata() or ())),
            )
        return cls(grpc.StatusCode.UNKNOWN, details=str(error) or type(error).__name__)

    def is_success(self) -> bool:
        return self._state.code is grpc.StatusCode.OK

    def status_code(self) -> grpc.StatusCode:
        return self._state.code

    def details(self) -> str:
        return self._state.details

    # Overloads on self: a GrpcResponse[Any] (its request declares no reply class) matches the
    # first, Any matching even Never; a GrpcResponse[User] cannot, and gets the second. So an
    # untyped response's message() stays Any, and code written before replies were typed
    # keeps type-checking.
    @overload
    def message(self: "GrpcResponse[Never]") -> Any: ...
    @overload
    def message(self) -> ReplyT_co | None: ...
    def message(self) -> Any:
        """The decoded reply, or ``None`` when the call failed.

        Typed ``User | None`` for a request that declares its reply class
        (``BaseGrpcRequest[User]``): a failed call has no reply, so the type
        says so; ``reply()`` returns it without the ``None``, raising for a
        failure instead. For a request that declares none it is ``Any``, so
        ``response.message().name`` reads as it always did.
        """
        return self._state.message

    def reply(self) -> ReplyT_co:
        """The decoded reply of a successful call; a failed call raises its ``RemoteServiceError``.

        One call for code that wants the reply or an exception:
        ``client.call(GetUser("42")).reply().name``. The error is the one
        ``raise_for_status()`` raises (``RemoteResourceNotFound`` for
        NOT_FOUND...). A success that carries no reply (the end of a stream,
        or a response made by code without one) raises ``InvalidGrpcResponse``.
        """
        state = self._state
        message = state.message
        if message is not None:
            return cast(ReplyT_co, message)  # the reply this response was made with
        if state.code is grpc.StatusCode.OK:
            raise InvalidGrpcResponse(
                "reply(): this OK response carries no reply message (the end of a stream, "
                "or a response made without one); read a stream's messages from the stream"
            )
        raise GrpcStatusErrors.error_for(state.code, state.details)

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

    def after_attempts(self, attempts: int) -> "GrpcResponse[ReplyT_co]":
        """The same outcome, recording how many attempts it took."""
        return self._with(self._state._replace(attempts=attempts))

    def outcome_unknown(self) -> bool:
        """Whether the server may have done the work although the call failed.

        True for a failure that can come after the server processed the call
        (UNAVAILABLE from a connection lost mid-call, DEADLINE_EXCEEDED, a call
        cancelled by ``close()``) when nothing shows it never left the client.
        A request that is not ``idempotent()`` is then never sent again by the
        client: whether it took effect is for the caller to find out (by its
        ``request-id``, say, which a client sends when its ``sent_ids`` has
        ``"request_id"``). See docs/resilience.md.
        """
        return self._state.outcome_unknown

    def with_outcome_unknown(self) -> "GrpcResponse[ReplyT_co]":
        """The same failure, marked as one whose effect on the server is unknown."""
        return self._with(self._state._replace(outcome_unknown=True))

    def never_sent(self) -> bool:
        """Whether this failure provably never left the client, so sending again is safe.

        Set by the transport from grpc's own evidence (``SendEvidence``): no
        connection could be made, call credentials failed, the client was closed
        before the attempt. Always ``False`` for a success and for a response
        built by hand.
        """
        return self._state.never_sent

    def with_never_sent(self) -> "GrpcResponse[ReplyT_co]":
        """The same failure, marked as one that provably never left the client."""
        return self._with(self._state._replace(never_sent=True))

    def messages_sent(self) -> int:
        """How many request messages went out: counted for a stream, 1 for a unary call sent."""
        stream = self._state.stream
        if stream is not None:
            return stream.sent
        return 0 if self._state.attempts == 0 or self._state.never_sent else 1

    def messages_received(self) -> int:
        """How many reply messages came back: counted for a stream, 1 for a unary reply."""
        stream = self._state.stream
        if stream is not None:
            return stream.received
        return 0 if self._state.message is None else 1

    def closed_by_caller(self) -> bool:
        """Whether the caller ended the stream before its end (left the loop, closed it).

        Then the status is CANCELLED, the server was told so, and the circuit
        breaker does not count the call: it says nothing about the server.
        """
        stream = self._state.stream
        return stream is not None and stream.closed_by_caller

    def with_stream_counts(
        self, sent: int, received: int, closed_by_caller: bool = False
    ) -> "GrpcResponse[ReplyT_co]":
        """The same outcome, as the end of a stream that carried these messages."""
        return self._with(
            self._state._replace(stream=_StreamCounts(sent, received, closed_by_caller))
        )

    def metadata(self) -> GrpcMetadata:
        """Initial then trailing metadata, every pair kept."""
        return GrpcMetadata((*self._state.initial, *self._state.trailing))

    def initial_metadata(self) -> GrpcMetadata:
        return GrpcMetadata(self._state.initial)

    def trailing_metadata(self) -> GrpcMetadata:
        return GrpcMetadata(self._state.trailing)

    @staticmethod
    def _with(state: _State) -> "GrpcResponse":
        response = GrpcResponse.__new__(GrpcResponse)
        object.__setattr__(response, "_state", state)
        return response

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
        unknown = " outcome unknown" if state.outcome_unknown else ""
        stream = state.stream
        counts = "" if stream is None else f" sent={stream.sent} received={stream.received}"
        closed = " closed by caller" if stream is not None and stream.closed_by_caller else ""
        return (
            f"<GrpcResponse {state.code.name} {body}{tries}{unknown}{counts}{closed} "
            f"metadata={self.metadata()!r}>"
        )


def _check(status_code: object, message: object, details: object, attempts: object) -> None:
    if not isinstance(status_code, grpc.StatusCode):
        raise InvalidGrpcResponse(f"status_code must be a grpc.StatusCode, got {status_code!r}")
    if message is not None and not isinstance(message, Message):
        raise InvalidGrpcResponse(
            f"message must be a protobuf message or None, got a {type(message).__name__}"
        )
    if not isinstance(details, str):
        raise InvalidGrpcResponse(f"details must be a str, got a {type(details).__name__}")
    if type(attempts) is not int or attempts < 0:
        raise InvalidGrpcResponse(f"attempts must be an int of at least 0, got {attempts!r}")
