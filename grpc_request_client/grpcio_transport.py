"""The transport over grpcio: one attempt of a unary call or a stream, sync and async."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from queue import SimpleQueue
from typing import Any, cast

import grpc
import grpc.aio
from google.protobuf.message import DecodeError, EncodeError, Message

from grpc_request_client.blocking import running_loop
from grpc_request_client.channels import GrpcAioPoller, SettledCoroutine, SharedChannel
from grpc_request_client.errors import (
    GrpcClientClosed,
    GrpcClientError,
    GrpcRequestMessagesFailed,
    InvalidGrpcMessage,
)
from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.methods import GrpcMethod
from grpc_request_client.request import RequestMessages
from grpc_request_client.response import GrpcResponse, RawMetadata
from grpc_request_client.transport import (
    AsyncStreamAttempt,
    GrpcTransport,
    StreamAttempt,
    ThreadedStreamAttempt,
)

_DONE = object()  # what done_writing() queues: the end of a written stream
# How long a refused item waits for its call to exist, so it can cancel it (grpcio's
# blocking API starts reading the messages before it returns the call object).
_BIND_SECONDS = 5.0


class RequestStream:
    """One attempt's request messages, checked and encoded as grpc takes them, and counted.

    On grpcio's blocking API grpc reads them itself, on a thread of its own;
    on grpc.aio a task of the attempt's own writes them (``start_writing``),
    one at a time as flow control lets each go. What goes wrong with the
    caller's iterable is kept (``error``) and the call cancelled before
    anything would tell the server the stream was complete, so the server
    never gets a half-close for a truncated stream; the driver then raises it
    (``raise_if_failed``): ``InvalidGrpcMessage`` for an item that is not the
    method's input type (naming its index), ``GrpcRequestMessagesFailed``
    chained to what the iterator itself raised. The iterator is closed once
    the call no longer reads it (its ``close()`` or ``aclose()``, so a
    generator's ``finally`` runs). With no messages given (a bidi stream the
    caller writes to), ``write`` queues what the caller sends and
    ``done_writing`` ends it.
    """

    def __init__(self, method: GrpcMethod, messages: RequestMessages) -> None:
        self._method = method
        self._messages = messages
        self.sent = 0
        self.error: GrpcClientError | None = None
        self._cancel: Callable[[], object] | None = None
        self._bound = threading.Event()
        self._written: SimpleQueue[object] = SimpleQueue()
        self._writer: asyncio.Task[None] | None = None

    def bind(self, cancel: Callable[[], object] | None) -> None:
        """The call exists: ``cancel`` cancels it, at once if an item was refused already.

        ``None`` for a call grpc cancels itself when the iterator raises
        (grpcio's blocking API): a refusal is then raised at once.
        """
        self._cancel = cancel
        self._bound.set()

    def raise_if_failed(self) -> None:
        """Raise what cancelled the call on this side, if anything did (a refusal, a failure)."""
        if self.error is not None:
            raise self.error

    def payloads(self) -> Iterator[bytes] | AsyncIterator[bytes]:
        """What grpc's request iterator argument takes: bytes, sync or async as the messages are."""
        messages = self._messages
        if messages is None:
            return self._queued()
        if isinstance(messages, Iterable):
            return self._encoded(messages)
        return self._encoded_async(messages)

    def start_writing(self, call: Any) -> None:
        """Write the messages to grpc.aio's ``call`` (opened with no request iterator), then end.

        From a task the attempt owns, where grpc.aio would start one of its own
        for a request iterator and leave it pending for good when the call
        ends while the iterator waits (a deadline passing over a generator
        that stalls). ``stop`` and ``writing_stopped`` end it with the call.
        """
        self._writer = asyncio.get_running_loop().create_task(self._write_all(call))

    async def writing_stopped(self) -> None:
        """The call is over: end the writer if it still runs, once it has closed the iterator."""
        writer = self._writer
        if writer is not None and not writer.done():
            writer.cancel()
            await asyncio.wait((writer,))

    def write(self, message: Message) -> None:
        """Queue a message the caller writes (the stream checked it already)."""
        self._written.put(message.SerializeToString())

    def done_writing(self) -> None:
        """End a written stream: grpc half-closes it once the messages before went out."""
        self._written.put(_DONE)

    def stop(self) -> None:
        """The call ended: let grpc's reader of a written stream return, and end the writer.

        Harmless after ``done_writing`` and twice, and from any thread; grpc
        sends no half-close on a call that has ended.
        """
        self._written.put(_DONE)
        writer = self._writer
        if writer is None or writer.done():
            return
        loop = writer.get_loop()
        if loop is running_loop():
            writer.cancel()
            return
        with contextlib.suppress(RuntimeError):  # that loop is closed: nothing runs there
            loop.call_soon_threadsafe(writer.cancel)

    async def _write_all(self, call: Any) -> None:
        payloads = self.payloads()
        try:
            if isinstance(payloads, AsyncIterator):
                async for payload in payloads:
                    await call.write(payload)
            else:
                for payload in payloads:
                    await call.write(payload)
            if self.error is None:
                await call.done_writing()
        except (grpc.RpcError, asyncio.InvalidStateError):
            return  # the call ended meanwhile; its status says how
        finally:
            await _closed(payloads)

    def _queued(self) -> Iterator[bytes]:
        get = self._written.get
        while (payload := get()) is not _DONE:
            self.sent += 1
            yield payload  # type: ignore[misc]  # only bytes and _DONE are queued

    def _encoded(self, messages: Iterable[Message]) -> Iterator[bytes]:
        request_class = self._method.request_class
        try:
            iterator = iter(messages)
        except Exception as error:  # re-raised, named, by the driver
            self._fail(error)
            return
        try:
            for index, message in enumerate(iterator):
                payload = self._payload(message, index, request_class)
                if payload is None:
                    return
                self.sent += 1
                yield payload
        except Exception as error:  # the iterator's own: re-raised, named, by the driver
            if error is self.error:  # a refusal raised for grpc to cancel the call
                raise
            self._fail(error)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    async def _encoded_async(self, messages: AsyncIterable[Message]) -> AsyncIterator[bytes]:
        request_class, index = self._method.request_class, 0
        try:
            iterator = aiter(messages)
        except Exception as error:  # re-raised, named, by the driver
            self._fail(error)
            return
        try:
            async for message in iterator:
                payload = self._payload(message, index, request_class)
                if payload is None:
                    return
                self.sent += 1
                index += 1
                yield payload
        except (Exception, asyncio.CancelledError) as error:
            if error is self.error or _task_cancelling():  # a refusal, or the writer's end
                raise
            self._fail(error)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

    def _payload(
        self, message: Message, index: int, request_class: type[Message] | None
    ) -> bytes | None:
        """The item's bytes; ``None`` once it is refused (the call is then cancelled).

        Typed ``Message`` as ``messages()`` promises; what the caller really
        gave is checked here, before it is used as one.
        """
        try:
            if type(message) is not request_class:
                self._method.check(message, f"messages() item {index} is")
            return message.SerializeToString()
        except InvalidGrpcMessage as error:
            self._refuse(error)
        except EncodeError as error:
            self._refuse(
                InvalidGrpcMessage(
                    f"{self._method.path}: messages() item {index} cannot be serialized: {error}"
                )
            )
        return None

    def _fail(self, error: BaseException) -> None:
        """The caller's iterator raised ``error``: the call is cancelled, and the failure named."""
        failed = GrpcRequestMessagesFailed(
            f"{self._method.path}: messages() raised {type(error).__name__} after "
            f"{self.sent} messages were sent; the call was cancelled"
        )
        failed.__cause__ = error
        self._refuse(failed)

    def _refuse(self, error: GrpcClientError) -> None:
        error.__suppress_context__ = True  # grpc's own error for the cancelled call adds nothing
        self.error = error
        cancel = self._cancel if self._bound.wait(_BIND_SECONDS) else None
        if cancel is None:
            raise error  # grpc then cancels the call itself
        cancel()


async def _closed(payloads: Iterator[bytes] | AsyncIterator[bytes]) -> None:
    """Close a ``RequestStream``'s payloads, which closes the caller's iterator in turn."""
    if isinstance(payloads, AsyncGenerator):
        await payloads.aclose()
    elif isinstance(payloads, Generator):
        payloads.close()


# The transport's verdict on a failed attempt (``Attempt``'s ``SendEvidence`` reading).
Judge = Callable[[GrpcResponse], GrpcResponse]


class GrpcioStream(StreamAttempt):
    """A server-streaming or bidi attempt on grpcio's blocking channel.

    grpcio asks the server for the next message only when ``receive`` is
    called (one receive operation at a time), so a slow reader holds back the
    HTTP/2 flow-control window and the server waits: nothing piles up here.
    Replies come as bytes and are decoded here, as ``Attempt`` decodes a unary
    one: a reply that does not decode cancels the call and ends it INTERNAL.
    Failures become responses through ``judge`` (``Attempt``'s, so a stream's
    failure reads as a unary call's).
    """

    def __init__(
        self, invocation: GrpcInvocation, seconds: float, multicallable: Any, judge: Judge
    ) -> None:
        method = invocation.method
        self._method = method
        self._decode = method.response_class.FromString
        self._judge = judge
        self._requests = RequestStream(method, invocation.messages) if method.sends_stream else None
        self._call = multicallable(
            invocation.payload if self._requests is None else self._requests.payloads(),
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        if self._requests is not None:
            self._requests.bind(self._call.cancel)
        self._next = self._call.__next__

    def receive(self) -> Message | GrpcResponse:
        try:
            payload = self._next()
        except StopIteration:
            return self._ended()
        except grpc.RpcError as error:
            return self._failed(error)
        try:
            message: Message = self._decode(payload)
        except DecodeError as error:
            self.cancel()
            return GrpcResponse(
                grpc.StatusCode.INTERNAL,
                details=f"a reply on {self._method.path} is not a valid "
                f"{self._method.response_class.DESCRIPTOR.full_name}: {error}",
            ).with_outcome_unknown()
        return message

    def write(self, message: Message) -> bool:
        if self._requests is None or self._call.done():
            return False
        self._requests.write(message)
        return True

    def done_writing(self) -> None:
        if self._requests is not None:
            self._requests.done_writing()

    def cancel(self) -> None:
        self._call.cancel()
        self._stop_requests()

    def initial_metadata(self) -> RawMetadata:
        return tuple(self._call.initial_metadata() or ())

    @property
    def sent(self) -> int:
        return 1 if self._requests is None else self._requests.sent

    def _ended(self) -> GrpcResponse:
        self._stop_requests()
        self._raise_failed()
        call = self._call
        return GrpcResponse.received(
            grpc.StatusCode.OK,
            None,
            "",
            tuple(call.initial_metadata() or ()),
            tuple(call.trailing_metadata() or ()),
        )

    def _failed(self, error: grpc.RpcError) -> GrpcResponse:
        self._stop_requests()
        self._raise_failed()
        return self._judge(GrpcResponse.from_rpc_error(error))

    def _stop_requests(self) -> None:
        """grpcio reads a written stream on a thread of its own, which must not wait forever."""
        if self._requests is not None:
            self._requests.stop()

    def _raise_failed(self) -> None:
        """What cancelled the call on this side (a refused item, a failed iterator), raised."""
        if self._requests is not None:
            self._requests.raise_if_failed()


# A call cut short by close() rather than by the caller's task being cancelled.
ClosedMidCall = Callable[[], GrpcResponse | None]
_CANCELLED_HERE = GrpcResponse(grpc.StatusCode.CANCELLED, details="cancelled by the client")
_EOF: object = grpc.aio.EOF  # type: ignore[attr-defined]  # grpc-stubs lacks it


class GrpcioStreamAsync(AsyncStreamAttempt):
    """``GrpcioStream`` on this event loop's ``grpc.aio`` channel.

    grpc.aio reads one message per ``read()``, so flow control reaches the
    server here too. A bidi call is opened with no request iterator: grpc.aio's
    own ``write`` and ``done_writing`` carry the messages the caller writes,
    each waiting for flow control to take it, or the request's ``messages()``,
    written by ``RequestStream``'s task, which ends with the call.
    """

    def __init__(
        self,
        invocation: GrpcInvocation,
        seconds: float,
        multicallable: Any,
        judge: Judge,
        closed_mid_call: ClosedMidCall,
    ) -> None:
        method = invocation.method
        self._method = method
        self._decode = method.response_class.FromString
        self._judge = judge
        self._closed_mid_call = closed_mid_call
        self._requests = None
        request: object = invocation.payload
        if method.sends_stream:
            request = None
            if invocation.messages is not None:
                self._requests = RequestStream(method, invocation.messages)
        self._written = 0
        self._call = multicallable(
            request,
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        if self._requests is not None:
            self._requests.bind(self._call.cancel)
            self._requests.start_writing(self._call)

    async def receive(self) -> Message | GrpcResponse:
        try:
            payload = await self._call.read()
        except grpc.RpcError as error:
            await self._requests_ended()
            return self._judge(GrpcResponse.from_rpc_error(error))
        except asyncio.CancelledError:
            await self._requests_ended()
            return self._cancelled_here()
        if payload is _EOF:
            await self._requests_ended()
            return await self._ended()
        try:
            message: Message = self._decode(payload)
        except DecodeError as error:
            self.cancel()
            return GrpcResponse(
                grpc.StatusCode.INTERNAL,
                details=f"a reply on {self._method.path} is not a valid "
                f"{self._method.response_class.DESCRIPTOR.full_name}: {error}",
            ).with_outcome_unknown()
        return message

    async def write(self, message: Message) -> bool:
        try:
            await self._call.write(message.SerializeToString())
        except (grpc.RpcError, asyncio.InvalidStateError):  # the call ended meanwhile
            return False
        self._written += 1
        return True

    async def done_writing(self) -> None:
        await self._call.done_writing()

    def cancel(self) -> None:
        self._call.cancel()
        if self._requests is not None:
            self._requests.stop()

    async def initial_metadata(self) -> RawMetadata:
        return tuple(await self._call.initial_metadata() or ())

    @property
    def sent(self) -> int:
        if self._requests is not None:
            return self._requests.sent
        return self._written if self._method.sends_stream else 1

    async def _requests_ended(self) -> None:
        """The call is over: its messages' writer has ended, and what failed there is raised."""
        if self._requests is not None:
            await self._requests.writing_stopped()
            self._requests.raise_if_failed()

    async def _ended(self) -> GrpcResponse:
        """The end of the replies: OK with both kinds of metadata, or the failure it was."""
        call = self._call
        code = await call.code()
        initial = tuple(await call.initial_metadata() or ())
        trailing = tuple(await call.trailing_metadata() or ())
        if code is grpc.StatusCode.OK:
            return GrpcResponse.received(code, None, "", initial, trailing)
        details = await call.details()
        return self._judge(GrpcResponse.received(code, None, details or "", initial, trailing))

    def _cancelled_here(self) -> GrpcResponse:
        """grpc.aio raises ``CancelledError`` for a call cancelled on this side, too.

        Only a cancelled task's is the caller's to get; a call cancelled by
        ``close()``, by the stream (closed, a refused item) answers CANCELLED.
        """
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        return self._closed_mid_call() or _CANCELLED_HERE


# Where grpcio's blocking API logs an exception raised by a request iterator.
_GRPCIO_CHANNEL_LOGGER = "grpc._channel"


class RefusedMessageLogFilter(logging.Filter):
    """Drops grpcio's "Exception iterating requests!" record for what the client raises itself.

    A blocking client-streaming attempt ends its request's messages early by
    raising from the request iterator: ``InvalidGrpcMessage`` for a bad item,
    ``GrpcRequestMessagesFailed`` when the caller's iterator raised. grpcio
    answers by cancelling the call before any half-close and by logging the
    exception with its traceback. The caller gets that same error, raised by
    ``call()``: the record would only say it twice. Every other record passes.
    """

    @classmethod
    def install(cls) -> None:
        """Add one filter to grpcio's channel logger; more calls change nothing."""
        logger = logging.getLogger(_GRPCIO_CHANNEL_LOGGER)
        if not any(isinstance(existing, cls) for existing in logger.filters):
            logger.addFilter(cls())

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, InvalidGrpcMessage | GrpcRequestMessagesFailed)


_UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
_DEADLINE_EXCEEDED = grpc.StatusCode.DEADLINE_EXCEEDED
# Failures after which the server may have done the work, unless proven never sent.
_AMBIGUOUS = frozenset({_UNAVAILABLE, _DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED})
# grpc-core's words for a reply it received and refused, inside "Stream removed (...)" on
# grpcio 1.85.3 (its message-size filter):
# the server did the work, the client could not read what it answered.
_REFUSED_REPLY = (grpc.StatusCode.RESOURCE_EXHAUSTED, "CLIENT: Received message larger than max")

# How grpc's own details begin for a failure raised before an attempt's request was
# written to any connection, with the code grpc gives it. Each was seen on grpcio 1.85.3
# (docs/resilience.md has the table) and is grpc-core's or grpcio's text:
_NEVER_SENT: tuple[tuple[grpc.StatusCode, str], ...] = (
    # pick_first's TransientFailurePicker (src/core/load_balancing/pick_first/pick_first.cc):
    # no connection could be made, so the call failed at the pick, before any stream existed.
    (_UNAVAILABLE, "failed to connect to all addresses"),
    # round_robin's TransientFailurePicker (src/core/load_balancing/round_robin/round_robin.cc).
    (_UNAVAILABLE, "connections to all backends failing"),
    # Either policy given no address at all.
    (_UNAVAILABLE, "empty address list"),
    # A resolver that found nothing: the event-engine DNS resolver
    # (src/core/resolver/dns/event_engine/event_engine_client_channel_resolver.cc), then
    # the c-ares and native ones of older grpc.
    (_UNAVAILABLE, "errors resolving "),
    (_UNAVAILABLE, "DNS resolution failed for "),
    # Call credentials failing (src/core/credentials/call/plugin/plugin_credentials.cc):
    # they run before the request's headers go to the transport.
    (_UNAVAILABLE, "Getting metadata from plugin failed with error: "),
    # grpcio's blocking API, before it creates the call (grpc/_channel.py).
    (grpc.StatusCode.INTERNAL, "Exception serializing request!"),
    # A target grpc could not parse: a lame channel, which has no transport at all.
    (grpc.StatusCode.UNKNOWN, "Failed to create channel to '"),
)


class SendEvidence:
    """Whether a failed attempt is *proven* never to have left the client.

    Only then may a request that is not idempotent be sent again: UNAVAILABLE
    alone does not say so, since a server that did the work and then crashed, a
    GOAWAY or a proxy's reset all end in UNAVAILABLE too. The proof is grpc's own
    wording for a failure raised before any stream was written: no connection
    could be made, no address was resolved, call credentials failed. Everything
    else, unknown texts included, is not proof. A refusal by this client itself
    (open circuit, full bulkhead) needs no text: its ``attempts()`` is 0.

    What grpc does not tell a Python caller, and so is never proof here:

    - ``debug_error_string()``: on grpcio 1.85 it is ``"<CODE>:<details>"``, and
      older releases said "Error received from peer" even for local failures.
    - a stream refused by the server (GOAWAY above its last-stream-id, RST_STREAM
      REFUSED_STREAM): unprocessed by HTTP/2's rules (RFC 9113, 8.7), but the
      same "GOAWAY received" text also ends streams the server accepted before
      closing (measured: keepalive ``too_many_pings``). grpc-core knows which is
      which per stream and retries the refused ones itself when
      ``grpc.enable_retries`` is on (gRFC A6, transparent retries;
      src/core/client_channel/retry_filter_legacy_call_data.cc).

    The texts are matched at the start of the details, so a server that wraps a
    downstream failure in words of its own is not mistaken for this client. One
    that forwards grpc's details verbatim (a relay) says the same words, so two
    more facts rule the proof out: ``metadata_received`` (any initial or
    trailing metadata on the failure: metadata always comes from a server) and
    ``connected`` (the channel is READY after the failure: a relay can only
    answer over a live connection, while grpc fails a call at the pick only
    when it has none).

    One failure without a text is proof too: DEADLINE_EXCEEDED for a call that
    ``waited_for_ready`` on a channel still not connected. Such a call waits in
    the channel for a connection (gRFC A10's wait-for-ready) and is only
    written to one once it is READY.
    """

    @staticmethod
    def proves_never_sent(
        code: grpc.StatusCode,
        details: str,
        *,
        metadata_received: bool = False,
        connected: bool = False,
        waited_for_ready: bool = False,
    ) -> bool:
        if metadata_received or connected:
            return False
        if code is _DEADLINE_EXCEEDED:
            return waited_for_ready
        return any(
            code is known_code and details.startswith(opening)
            for known_code, opening in _NEVER_SENT
        )

    @staticmethod
    def judged(response: GrpcResponse, *, connected: bool, waited_for_ready: bool) -> GrpcResponse:
        """A failed attempt's response, marked as never sent, or as of unknown outcome.

        Unknown: the request may have reached the server and been done there,
        and nothing said how it went (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED),
        or the server answered and grpc refused the reply (over the receive
        limit). A server's own error code is an answer: its outcome is known.
        """
        code, details = response.status_code(), response.details()
        never_sent = SendEvidence.proves_never_sent(
            code,
            details,
            metadata_received=bool(response.metadata().pairs()),
            connected=connected,
            waited_for_ready=waited_for_ready,
        )
        if never_sent:
            return response.with_never_sent()
        refused_reply = code is _REFUSED_REPLY[0] and _REFUSED_REPLY[1] in details
        if code in _AMBIGUOUS or refused_reply:
            return response.with_outcome_unknown()
        return response


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
        call object to cancel then: a refused item, or the iterator's own
        failure named, is raised from the request iterator, and grpcio cancels
        the call itself (``RefusedMessageLogFilter``). grpcio reads the iterator
        on a thread of its own, which nothing can interrupt: a call that ended
        while the iterator waited stops it at its next item, and its last
        reference going closes it.
        """
        requests = RequestStream(invocation.method, invocation.messages)
        requests.bind(None)
        try:
            payloads = cast(Iterator[bytes], requests.payloads())  # call() refuses async ones
            payload, initial, trailing = _blocking(multicallable, payloads, invocation, seconds)
        except grpc.RpcError as error:
            requests.raise_if_failed()  # the call was cancelled for it
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
        """``_sent_stream`` on grpc.aio: the messages written by a task that ends with the call.

        Whatever the outcome, the writer has ended and the request's iterator
        is closed by the time this returns or raises.
        """
        requests = RequestStream(invocation.method, invocation.messages)
        call = multicallable(
            None,
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
            wait_for_ready=invocation.wait_for_ready,
        )
        requests.bind(call.cancel)
        requests.start_writing(call)
        try:
            payload = await call
        except grpc.RpcError as error:
            await requests.writing_stopped()
            requests.raise_if_failed()
            failed = self._failed(invocation, error, self._shared.aio.connected)
            return failed.with_stream_counts(requests.sent, 0)
        except asyncio.CancelledError:
            await requests.writing_stopped()
            if not _task_cancelling():  # grpc.aio's word for a call cancelled on this side
                requests.raise_if_failed()
            if not self._closed_mid_call():
                raise
            return _CANCELLED_BY_CLOSE.with_stream_counts(requests.sent, 0)
        await requests.writing_stopped()
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
