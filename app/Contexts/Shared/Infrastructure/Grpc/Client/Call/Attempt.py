from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from typing import Any, cast

import grpc
import grpc.aio
from google.protobuf.message import DecodeError

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcioStream import GrpcioStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcioStreamAsync import (
    GrpcioStreamAsync,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcTransport import GrpcTransport
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.RefusedMessageLogFilter import (
    RefusedMessageLogFilter,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.RequestStream import RequestStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SendEvidence import SendEvidence
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.ThreadedStreamAttempt import (
    ThreadedStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.GrpcAioPoller import GrpcAioPoller
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SettledCoroutine import SettledCoroutine
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SharedChannel import SharedChannel
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata

Metadata = tuple[RawMetadata, RawMetadata]
# What grpcio's blocking API raises for a failed call, made from the call's final state.
_INACTIVE_RPC_ERROR = getattr(importlib.import_module("grpc._channel"), "_InactiveRpcError", None)
_CLOSED = "the client was closed while the call was in flight"
_CANCELLED_BY_CLOSE = GrpcResponse(
    grpc.StatusCode.CANCELLED, details=_CLOSED
).with_outcome_unknown()
# Closed before this attempt was made: it never left, whatever earlier attempts did.
_CLOSED_BEFORE_SENDING = GrpcResponse(grpc.StatusCode.CANCELLED, details=_CLOSED).with_never_sent()
RefusedMessageLogFilter.install()


class Attempt(GrpcTransport):
    """One trip to the server, turned into a response: grpcio's side of a call.

    This is where grpcio's failure channels (an ``RpcError`` raised by the
    blocking API or awaited from aio, a channel closed under the call) become
    ``GrpcResponse`` values, the same ones for ``send`` and ``send_async``. Bytes
    go out and come back: the invocation was encoded once for every attempt,
    and the reply is decoded by one function for both APIs (``_answer``), so an
    undecodable reply is the same INTERNAL failure on ``call`` and
    ``call_async``. A failure is judged by ``SendEvidence`` (never sent, or of
    unknown outcome), with the channel's state after it as evidence.
    """

    def __init__(
        self, shared: SharedChannel, closed_error: Callable[[], GrpcClientClosed | None]
    ) -> None:
        self._shared = shared
        self._closed_error = closed_error

    def send(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        try:
            multicallable = self._shared.sync.multicallable(invocation.method)
        except GrpcClientClosed:
            return _CLOSED_BEFORE_SENDING
        if invocation.message is None:
            return self._sent_stream(invocation, seconds, multicallable)
        try:
            payload, initial, trailing = _blocking(
                multicallable, invocation.payload, invocation, seconds
            )
        except grpc.RpcError as error:
            return self._failed(invocation, error, self._shared.sync.connected)
        except ValueError:  # grpcio's "Cannot invoke RPC on closed channel!"
            if self._closed_error() is None:
                raise
            return _CLOSED_BEFORE_SENDING
        return _answer(invocation, payload, initial, trailing)

    async def send_async(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        """The attempt on this loop's aio channel; on a worker thread where grpc.aio cannot run.

        That is a child forked while grpc.aio ran (``GrpcAioPoller``). There the
        blocking API still works, at the cost of a thread per call and of a
        cancelled caller no longer cancelling the call, which runs to its deadline.
        """
        if not GrpcAioPoller.usable:
            return await asyncio.to_thread(self.send, invocation, seconds)
        try:
            multicallable = self._shared.aio.multicallable(invocation.method)
        except GrpcClientClosed:
            return _CLOSED_BEFORE_SENDING
        if invocation.message is None:
            return await self._sent_stream_async(invocation, seconds, multicallable)
        call = multicallable(
            invocation.payload,
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        try:
            payload = await call
        except grpc.RpcError as error:
            return self._failed(invocation, error, self._shared.aio.connected)
        except asyncio.CancelledError:
            if not self._closed_mid_call():
                raise
            return _CANCELLED_BY_CLOSE
        return _answer(invocation, payload, *_metadata_async(call))

    def _sent_stream(
        self, invocation: GrpcInvocation, seconds: float, multicallable: Any
    ) -> GrpcResponse:
        """A client-streaming attempt: the request's messages, then the one reply.

        Blocking, as a unary attempt is, so grpcio handles the call's events on
        this thread (a future would hand each message's completion to another
        thread: 40% more CPU per message, measured on grpcio 1.85). There is no
        call object to cancel then: a refused item is raised from the request
        iterator, and grpcio cancels the call itself (``RefusedMessageLogFilter``).
        """
        requests = RequestStream(invocation.method, invocation.messages)
        requests.bind(None)
        try:
            payloads = cast(Iterator[bytes], requests.payloads())  # call() refuses async ones
            payload, initial, trailing = _blocking(multicallable, payloads, invocation, seconds)
        except grpc.RpcError as error:
            if requests.error is not None:  # the call was cancelled for it
                raise requests.error from None
            failed = self._failed(invocation, error, self._shared.sync.connected)
            return failed.with_stream_counts(requests.sent, 0)
        except ValueError:  # grpcio's "Cannot invoke RPC on closed channel!"
            if self._closed_error() is None:
                raise
            return _CLOSED_BEFORE_SENDING
        answer = _answer(invocation, payload, initial, trailing)
        return answer.with_stream_counts(requests.sent, answer.messages_received())

    async def _sent_stream_async(
        self, invocation: GrpcInvocation, seconds: float, multicallable: Any
    ) -> GrpcResponse:
        requests = RequestStream(invocation.method, invocation.messages)
        call = multicallable(
            requests.payloads(),
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        requests.bind(call.cancel)
        try:
            payload = await call
        except grpc.RpcError as error:
            if requests.error is not None:
                raise requests.error from None
            failed = self._failed(invocation, error, self._shared.aio.connected)
            return failed.with_stream_counts(requests.sent, 0)
        except asyncio.CancelledError:
            if requests.error is not None and not _task_cancelling():  # cancelled for it
                raise requests.error from None
            if not self._closed_mid_call():
                raise
            return _CANCELLED_BY_CLOSE.with_stream_counts(requests.sent, 0)
        answer = _answer(invocation, payload, *_metadata_async(call))
        return answer.with_stream_counts(requests.sent, answer.messages_received())

    def open(self, invocation: GrpcInvocation, seconds: float) -> StreamAttempt | GrpcResponse:
        try:
            multicallable = self._shared.sync.multicallable(invocation.method)
        except GrpcClientClosed:
            return _CLOSED_BEFORE_SENDING
        connected = self._shared.sync.connected
        try:
            return GrpcioStream(
                invocation,
                seconds,
                multicallable,
                lambda failed: self._judged(invocation, failed, connected),
            )
        except ValueError:  # grpcio's "Cannot invoke RPC on closed channel!"
            if self._closed_error() is None:
                raise
            return _CLOSED_BEFORE_SENDING

    async def open_async(
        self, invocation: GrpcInvocation, seconds: float
    ) -> AsyncStreamAttempt | GrpcResponse:
        """``open`` on this loop's aio channel; a forked child's as ``send_async`` says."""
        if not GrpcAioPoller.usable:
            opened = await asyncio.to_thread(self.open, invocation, seconds)
            return opened if isinstance(opened, GrpcResponse) else ThreadedStreamAttempt(opened)
        try:
            multicallable = self._shared.aio.multicallable(invocation.method)
        except GrpcClientClosed:
            return _CLOSED_BEFORE_SENDING
        connected = self._shared.aio.connected
        return GrpcioStreamAsync(
            invocation,
            seconds,
            multicallable,
            lambda failed: self._judged(invocation, failed, connected),
            lambda: _CANCELLED_BY_CLOSE if self._closed_mid_call() else None,
        )

    def _failed(
        self, invocation: GrpcInvocation, error: grpc.RpcError, connected: Callable[[], bool]
    ) -> GrpcResponse:
        """The failure as a response; a call cut short by ``close()`` reads alike on both APIs."""
        return self._judged(invocation, GrpcResponse.from_rpc_error(error), connected)

    def _judged(
        self, invocation: GrpcInvocation, response: GrpcResponse, connected: Callable[[], bool]
    ) -> GrpcResponse:
        if response.status_code() is grpc.StatusCode.CANCELLED and self._closed_error():
            return _CANCELLED_BY_CLOSE
        return SendEvidence.judged(
            response, connected=connected(), waited_for_ready=invocation.wait_for_ready
        )

    def _closed_mid_call(self) -> bool:
        """Tell a call cut short by ``close()`` apart from the caller's task being cancelled.

        grpc.aio reports both as ``CancelledError``. Only the second belongs to
        the caller; the first is answered as grpcio's blocking API answers it,
        with a CANCELLED response.
        """
        return self._closed_error() is not None and not _task_cancelling()


def _task_cancelling() -> bool:
    """Whether the current task is being cancelled (grpc.aio says ``CancelledError`` either way)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _answer(
    invocation: GrpcInvocation,
    payload: bytes,
    initial: RawMetadata | None,
    trailing: RawMetadata | None,
) -> GrpcResponse:
    """A successful attempt's reply, decoded; bytes that do not decode are an INTERNAL failure.

    The server did the work and answered, so such a failure's outcome is unknown.
    Decoding here rather than in grpc gives ``call`` and ``call_async`` one
    answer for an undecodable reply: grpc's blocking API fails such a call with
    INTERNAL, while grpc.aio logs the error and returns ``None``.
    """
    method = invocation.method
    try:
        message = method.response_class.FromString(payload)
    except DecodeError as error:
        expected = method.response_class.DESCRIPTOR.full_name
        return GrpcResponse.received(
            grpc.StatusCode.INTERNAL,
            None,
            f"the reply to {method.path} is not a valid {expected}: {error}",
            initial or (),
            trailing or (),
        ).with_outcome_unknown()
    return GrpcResponse.received(grpc.StatusCode.OK, message, "", initial or (), trailing or ())


def _blocking(
    multicallable: Any,
    request: bytes | Iterator[bytes],
    invocation: GrpcInvocation,
    seconds: float,
) -> tuple[bytes, RawMetadata, RawMetadata]:
    """The reply's bytes and metadata of one blocking attempt; raises ``grpc.RpcError`` if failed.

    ``request``: the encoded message of a unary call, or the request iterator
    of a client-streaming one (grpcio's unary-unary and stream-unary
    multicallables share these two methods).

    ``with_call`` is ``_blocking`` plus a call object made only to be read
    (1 us of every call, measured on grpcio 1.85): the state ``_blocking``
    returns is final, and what that call object would raise for a failure
    is grpcio's own ``RpcError`` built from it. Where grpcio has moved
    ``_blocking``, ``with_call`` answers instead.
    """
    blocking = getattr(multicallable, "_blocking", None)
    if blocking is None or _INACTIVE_RPC_ERROR is None:
        payload, call = multicallable.with_call(
            request,
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        return (payload, *_metadata(call))
    state, call = blocking(  # by keyword: a private signature may be reordered
        request,
        timeout=seconds,
        metadata=invocation.metadata,
        credentials=None,
        wait_for_ready=invocation.wait_for_ready,
        compression=invocation.compression,
    )
    if state.code is not grpc.StatusCode.OK:
        raise _INACTIVE_RPC_ERROR(state)
    return state.response, state.initial_metadata or (), state.trailing_metadata or ()


# A finished call's initial and trailing metadata, read once so no response keeps the call.
# Every successful call pays for this, so it reads what grpcio already holds without the
# locks and coroutines its public getters add on top (3.5 us for the blocking pair, 5.5 us
# for the aio pair, measured on grpcio 1.85): the blocking call's ``_RPCState``, which is
# final once the call returned, and the aio call's cython call, whose metadata and status
# are set once it finished. Where grpcio has moved those, the public getters answer instead.


def _metadata(call: grpc.Call) -> Metadata:
    state = getattr(call, "_state", None)
    if state is None:
        return call.initial_metadata() or (), call.trailing_metadata() or ()
    return state.initial_metadata or (), state.trailing_metadata or ()


def _metadata_async(call: grpc.aio.Call) -> Metadata:
    """The cython call's own attributes, which its coroutines would only return."""
    cython = getattr(call, "_cython_call", None)
    initial = getattr(cython, "_initial_metadata", None)
    status = getattr(cython, "_status", None)
    if initial is None or status is None:
        initial = SettledCoroutine.result(call.initial_metadata())
        trailing = SettledCoroutine.result(call.trailing_metadata())
        return tuple(initial or ()), tuple(trailing or ())
    return initial, status.trailing_metadata() or ()
