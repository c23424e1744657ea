"""``FakeGrpcClient``: the client's API over scripted answers, and what it records."""

import asyncio
import dataclasses
import inspect
import io
import threading
from collections.abc import (
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import Any, Unpack

import grpc
from google.protobuf import descriptor_pool, text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from grpc_request_client.blocking import running_loop
from grpc_request_client.channels import ChannelRegistry
from grpc_request_client.client import GrpcClient, Stages
from grpc_request_client.client_options import GrpcClientOptions
from grpc_request_client.declaration import DeclaredSettings
from grpc_request_client.errors import GrpcClientError, InvalidGrpcTimeout
from grpc_request_client.grpcio_transport import RequestStream, SendEvidence
from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.lifecycle import AfterFork
from grpc_request_client.metadata import REDACTED, GrpcMetadata, SensitiveMetadata
from grpc_request_client.methods import GrpcMethod
from grpc_request_client.options import TimeoutSeconds
from grpc_request_client.request import GrpcRequest, MetadataValue
from grpc_request_client.resilience import CircuitBreaker, Clock
from grpc_request_client.response import GrpcResponse, RawMetadata
from grpc_request_client.settings import GrpcClientSettings
from grpc_request_client.testing.errors import FakeStreamStalled, InvalidFakeAnswer
from grpc_request_client.transport import AsyncStreamAttempt, GrpcTransport, StreamAttempt


class RedactedMessageText:
    """A protobuf message on one line, as ``text_format`` writes it, credentials hidden.

    A field whose name ``SensitiveMetadata`` finds sensitive (``password``,
    ``api_key``, ``refresh_token``...) shows ``[redacted]`` instead of its value,
    at any depth, and so does the value of a map entry whose key is such a name
    (``headers { key: "authorization" value: [redacted] }``): a request message can
    carry a credential as well as metadata can.
    """

    @staticmethod
    def of(message: Message) -> str:
        return " ".join(
            RedactedMessageText._field(field, value) for field, value in message.ListFields()
        )

    @staticmethod
    def _field(field: FieldDescriptor, value: Any) -> str:
        if SensitiveMetadata.is_sensitive(field.name):
            return f"{field.name}: {REDACTED}"
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            return " ".join(
                RedactedMessageText._entry(field, entry, key, value[key]) for key in sorted(value)
            )
        values = value if field.is_repeated else (value,)
        return " ".join(RedactedMessageText._value(field, item) for item in values)

    @staticmethod
    def _entry(field: FieldDescriptor, entry: Descriptor, key: object, value: object) -> str:
        fields = entry.fields_by_name
        shown = (
            f"value: {REDACTED}"
            if isinstance(key, str) and SensitiveMetadata.is_sensitive(key)
            else RedactedMessageText._value(fields["value"], value)
        )
        return RedactedMessageText._braced(
            field, f"{RedactedMessageText._value(fields['key'], key)} {shown}"
        )

    @staticmethod
    def _value(field: FieldDescriptor, value: Any) -> str:
        if isinstance(value, Message):
            return RedactedMessageText._braced(field, RedactedMessageText.of(value))
        out = io.StringIO()
        text_format.PrintField(field, value, out, as_one_line=True)
        return out.getvalue().strip()

    @staticmethod
    def _braced(field: FieldDescriptor, inner: str) -> str:
        name = f"[{field.full_name}]" if field.is_extension else field.name
        return f"{name} {{ {inner} }}" if inner else f"{name} {{ }}"


# A stream's repr shows this many of its messages, then how many more there were.
_SHOWN_MESSAGES = 3


@dataclass(frozen=True, slots=True, repr=False)
class RecordedCall:
    """One attempt a ``FakeGrpcClient`` answered: what a server would have received.

    ``message`` is a copy made through the wire format, so a test sees what was
    sent even if the code changes its message afterwards; ``metadata`` is what
    would have gone on the wire, the ids the client's ``sent_ids`` chose included
    (``trace_id`` is the ``x-trace-id`` sent, ``""`` when none was); ``timeout``
    is this attempt's deadline in seconds. A retried call is recorded once per attempt
    (``attempt`` counts from 1), as a server would see it. ``message`` is typed
    ``Any``, as an untyped request's reply is: a record may be of any method,
    and ``call.message.user_id`` should read naturally in a test. The repr fits
    on a line, for assertion messages, and leaves out the request object, whose
    own repr may not hide what its metadata does. Credentials are hidden by
    ``SensitiveMetadata``'s rule, in the metadata and in the message's fields
    alike (``RedactedMessageText``).

    A method that takes a stream (client streaming, bidi) has ``message`` ``None``
    and ``messages``: a tuple of copies of what was sent, in order (empty for
    unary and server-streaming calls, whose one message is ``message``). A
    stream's record in ``FakeGrpcClient.calls`` is replaced by a newer one as the
    stream goes on, so it holds every message sent so far. ``cancelled`` is
    ``True`` once the caller ended the attempt before its end: it closed the
    stream or left its loop early, its task was cancelled, or its request's
    messages failed (an item refused, ``InvalidGrpcMessage``, or the iterator
    raised, ``GrpcRequestMessagesFailed``), which cancels the call.
    """

    service: str
    method: str
    message: Any
    metadata: GrpcMetadata
    timeout: float
    trace_id: str
    attempt: int
    request: GrpcRequest
    messages: tuple[Any, ...] = ()
    cancelled: bool = False

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"

    def __repr__(self) -> str:
        cancelled = " cancelled" if self.cancelled else ""
        return (
            f"<RecordedCall {self.path} attempt={self.attempt} {self._sent()} "
            f"metadata={self.metadata!r} timeout={self.timeout:g}{cancelled}>"
        )

    def _sent(self) -> str:
        if self.message is not None:
            return RecordedCall._shown(self.message)
        shown = [RecordedCall._shown(message) for message in self.messages[:_SHOWN_MESSAGES]]
        more = len(self.messages) - _SHOWN_MESSAGES
        if more > 0:
            shown.append(f"+{more} more")
        return f"messages=[{', '.join(shown)}]"

    @staticmethod
    def _shown(message: Any) -> str:
        return f"{type(message).__name__}({RedactedMessageText.of(message)})"


ResponseMetadata = Mapping[str, MetadataValue] | Iterable[tuple[str, MetadataValue]]
Handler = Callable[[RecordedCall], Message | GrpcResponse]


class FakeAnswer:
    """One scripted answer of a ``FakeGrpcClient``, turned into the response a real call returns.

    Whatever the script says (a reply, a failure, a handler's result) goes
    through ``respond``, which refuses what a real client never returns: a
    reply of another class than the method's, a success without a message or a
    failure with one. The reply is copied through the wire format, so each call
    gets its own message, as each real call decodes its own.

    ``scripted_by`` names what scripted it (``"reply()"``...), for an error
    about where it does not fit; ``is_failure`` says it is a failure, which
    fits any method: a stream that fails before its first message is answered
    by it too.
    """

    def __init__(
        self,
        produce: Callable[[RecordedCall], object],
        scripted_by: str,
        *,
        is_failure: bool = False,
    ) -> None:
        self._produce = produce
        self.scripted_by = scripted_by
        self.is_failure = is_failure

    @classmethod
    def reply(
        cls, message: Message, initial: ResponseMetadata, trailing: ResponseMetadata
    ) -> "FakeAnswer":
        if not isinstance(message, Message):
            raise InvalidFakeAnswer(
                f"reply() takes the protobuf message to answer with, got {type(message).__name__}"
            )
        response = GrpcResponse(
            grpc.StatusCode.OK, message, "", cls.pairs(initial), cls.pairs(trailing)
        )
        return cls(lambda call: response, "reply()")

    @classmethod
    def failure(
        cls,
        code: grpc.StatusCode,
        details: str,
        initial: ResponseMetadata,
        trailing: ResponseMetadata,
        scripted_by: str = "fail()",
    ) -> "FakeAnswer":
        if not isinstance(code, grpc.StatusCode) or code is grpc.StatusCode.OK:
            raise InvalidFakeAnswer(
                f"fail() takes a grpc.StatusCode other than OK, got {code!r}; "
                "script a success with reply()"
            )
        if not isinstance(details, str):
            raise InvalidFakeAnswer(f"details must be a str, got {type(details).__name__}")
        response = GrpcResponse(code, None, details, cls.pairs(initial), cls.pairs(trailing))
        return cls(lambda call: response, scripted_by, is_failure=True)

    @classmethod
    def handler(cls, handler: Handler) -> "FakeAnswer":
        if not callable(handler):
            raise InvalidFakeAnswer(
                "handle() takes a function of the RecordedCall returning a message or a "
                f"GrpcResponse, got {type(handler).__name__}"
            )
        return cls(handler, "handle()")

    def respond(self, call: RecordedCall, reply_class: type[Message]) -> GrpcResponse:
        produced = self._produce(call)
        if isinstance(produced, Message):
            produced = GrpcResponse(grpc.StatusCode.OK, produced)
        if not isinstance(produced, GrpcResponse):
            raise InvalidFakeAnswer(self._not_an_answer(call, produced))
        return self._as_received(call, produced, reply_class)

    @staticmethod
    def _as_received(
        call: RecordedCall, response: GrpcResponse, reply_class: type[Message]
    ) -> GrpcResponse:
        message = response.message()
        if response.is_success() and message is None:
            raise InvalidFakeAnswer(f"{call.path}: a successful answer needs a reply message")
        if message is not None:
            if not response.is_success():
                raise InvalidFakeAnswer(f"{call.path}: a failed answer carries no message")
            message = FakeAnswer.received(call, message, reply_class)
        return GrpcResponse(
            response.status_code(),
            message,
            response.details(),
            response.initial_metadata().pairs(),
            response.trailing_metadata().pairs(),
        )

    @staticmethod
    def received(call: RecordedCall, message: object, reply_class: type[Message]) -> Message:
        """A reply as the caller receives it: its own copy, decoded from the wire format.

        Raises ``InvalidFakeAnswer`` unless ``message`` is of the method's reply class.
        """
        expected = reply_class.DESCRIPTOR.full_name
        if not isinstance(message, Message) or message.DESCRIPTOR.full_name != expected:
            raise InvalidFakeAnswer(
                f"{call.path} returns {expected}; the answer is {type(message).__name__}"
            )
        return reply_class.FromString(message.SerializeToString())

    @staticmethod
    def _not_an_answer(call: RecordedCall, produced: object) -> str:
        if inspect.iscoroutine(produced):
            produced.close()  # never awaited: closing it spares a RuntimeWarning
            return f"{call.path}: a handler must answer directly; async handlers are not supported"
        return (
            f"{call.path}: a handler must return a protobuf message or a GrpcResponse, "
            f"got {type(produced).__name__}"
        )

    @staticmethod
    def pairs(metadata: ResponseMetadata) -> RawMetadata:
        """Scripted metadata as ``(key, value)`` pairs; ``InvalidFakeAnswer`` if it is not that."""
        items = metadata.items() if isinstance(metadata, Mapping) else metadata
        try:
            pairs = tuple((key, value) for key, value in items)
        except (TypeError, ValueError) as error:
            raise InvalidFakeAnswer(
                f"metadata must be a mapping or (key, value) pairs, got {type(metadata).__name__}"
            ) from error
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str | bytes):
                raise InvalidFakeAnswer(
                    f"metadata keys must be str and values str or bytes, got key {key!r}"
                )
        return pairs


# A stream handler: the call as it opened and the request messages as the caller sends
# them, to an iterable of reply messages in which a GrpcResponse ends the stream.
StreamHandler = Callable[[RecordedCall, Iterator[Any]], Iterable[Message | GrpcResponse]]
Replies = Generator[Message | GrpcResponse, None, None]
_ENDED_OK = GrpcResponse(grpc.StatusCode.OK)


class FakeStreamAnswer:
    """One scripted answer of a ``FakeGrpcClient`` for a method that streams its replies.

    What the script says (messages then a status, or a handler's items) comes
    out of ``replies_for`` one item at a time, as the caller reads: reply
    messages, each of the method's reply class and copied through the wire
    format, then exactly one ``GrpcResponse``, the stream's end (OK when the
    items run out without one). Anything a real stream never carries is
    refused with ``InvalidFakeAnswer`` when it is reached: an item that is no
    message, a message of another class, an end that carries a message or
    initial metadata (a stream's headers go before its messages: they are
    ``initial``).
    """

    def __init__(
        self,
        produce: Callable[[RecordedCall, Iterator[Any]], object],
        initial: RawMetadata,
        scripted_by: str,
        scripted: tuple[Message, ...] = (),
    ) -> None:
        self._produce = produce
        self.initial = initial
        self.scripted_by = scripted_by
        self.scripted = scripted

    @classmethod
    def replies(
        cls,
        messages: Iterable[Message],
        code: grpc.StatusCode,
        details: str,
        initial: ResponseMetadata,
        trailing: ResponseMetadata,
    ) -> "FakeStreamAnswer":
        """``messages``, in order, then the end with ``code``: a failure midway when not OK."""
        if isinstance(messages, Message | str | bytes) or not isinstance(messages, Iterable):
            raise InvalidFakeAnswer(
                "reply_stream() takes an iterable of the protobuf messages to send (a list), "
                f"got {type(messages).__name__}"
            )
        scripted = tuple(messages)
        for index, message in enumerate(scripted):
            if not isinstance(message, Message):
                raise InvalidFakeAnswer(
                    f"reply_stream() message {index} is a {type(message).__name__}, "
                    "not a protobuf message"
                )
        if not isinstance(code, grpc.StatusCode):
            raise InvalidFakeAnswer(f"status must be a grpc.StatusCode, got {code!r}")
        if not isinstance(details, str):
            raise InvalidFakeAnswer(f"details must be a str, got {type(details).__name__}")
        end = GrpcResponse(code, None, details, (), FakeAnswer.pairs(trailing))
        return cls(
            lambda call, requests: (*scripted, end),
            FakeAnswer.pairs(initial),
            "reply_stream()",
            scripted,
        )

    @staticmethod
    def ending(response: GrpcResponse) -> Replies:
        """A stream that ends at once with ``response``, with no message before."""
        yield response

    @classmethod
    def handler(cls, handler: StreamHandler, initial: ResponseMetadata) -> "FakeStreamAnswer":
        if not callable(handler):
            raise InvalidFakeAnswer(
                "handle_stream() takes a function of the RecordedCall and an iterator of the "
                "request messages, returning an iterable of reply messages, "
                f"got {type(handler).__name__}"
            )
        return cls(handler, FakeAnswer.pairs(initial), "handle_stream()")

    def replies_for(
        self, call: RecordedCall, requests: Iterator[Any], reply_class: type[Message]
    ) -> Replies:
        """The stream's items, lazily: a handler is first called when the first one is asked.

        Closing the generator closes the handler's own (its ``finally`` runs).
        """
        items = self._items(call, self._produce(call, requests))
        try:
            for item in items:
                if isinstance(item, GrpcResponse):
                    yield self._end(call, item)
                    return
                if not isinstance(item, Message):
                    raise InvalidFakeAnswer(
                        f"{call.path}: a stream handler's items are reply messages and a "
                        f"GrpcResponse to end the stream, got {type(item).__name__}"
                    )
                yield FakeAnswer.received(call, item, reply_class)
            yield self._end(call, _ENDED_OK)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def _end(self, call: RecordedCall, response: GrpcResponse) -> GrpcResponse:
        if response.message() is not None:
            raise InvalidFakeAnswer(
                f"{call.path}: the GrpcResponse that ends a stream carries no message; "
                "send the message before it"
            )
        if response.initial_metadata().pairs():
            raise InvalidFakeAnswer(
                f"{call.path}: a stream's initial metadata goes before its messages: give "
                "initial_metadata= to handle_stream(), not to the GrpcResponse that ends it"
            )
        return GrpcResponse(
            response.status_code(),
            None,
            response.details(),
            self.initial,
            response.trailing_metadata().pairs(),
        )

    @staticmethod
    def _items(call: RecordedCall, produced: object) -> Iterator[object]:
        if inspect.iscoroutine(produced):
            produced.close()  # never awaited: closing it spares a RuntimeWarning
        if inspect.iscoroutine(produced) or inspect.isasyncgen(produced):
            raise InvalidFakeAnswer(
                f"{call.path}: a stream handler must answer directly (return a list, or "
                "yield); async handlers are not supported"
            )
        if isinstance(produced, Message | GrpcResponse | str | bytes) or not isinstance(
            produced, Iterable
        ):
            raise InvalidFakeAnswer(
                f"{call.path}: a stream handler must return an iterable of reply messages "
                f"(a list, or yield them), got {type(produced).__name__}"
            )
        return iter(produced)


Answer = FakeAnswer | FakeStreamAnswer


class FakeScript:
    """The answers a ``FakeGrpcClient`` gives, per method, in the order they were scripted.

    Each call takes the next answer and the last one stays, so one answer
    serves every call and a sequence (UNAVAILABLE, then a reply) plays out once
    over a retried call. A method nothing was scripted for answers UNIMPLEMENTED,
    as a server without it would, naming what is scripted so a typo shows. When
    the service's generated module is imported, a script for a method the
    service lacks, a reply of the wrong class, or an answer of the wrong shape
    (one reply for a method that streams its replies, a stream for one that
    answers once) is refused as it is written; otherwise when it is called. A
    failure fits every method: a stream given one fails before its first message.
    """

    def __init__(self) -> None:
        self._answers: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        AfterFork.register(self, in_child=FakeScript._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    def add(
        self, service: str, method: str, answer: Answer, replies: Sequence[Message] = ()
    ) -> None:
        """Script ``answer`` next; ``replies``, the messages it sends, are checked if they can."""
        path = self._checked_path(service, method, answer, replies)
        with self._lock:
            self._answers.setdefault(path, []).append(answer)

    def respond(self, call: RecordedCall, reply_class: type[Message]) -> GrpcResponse:
        """The answer to a call that gets one reply: a unary or client-streaming one."""
        answer, unscripted = self._next(call.path)
        if answer is None:
            return unscripted
        if isinstance(answer, FakeStreamAnswer):
            raise InvalidFakeAnswer(_answers_once(call.path, answer.scripted_by))
        return answer.respond(call, reply_class)

    def open(
        self, call: RecordedCall, reply_class: type[Message], requests: Iterator[Any]
    ) -> tuple[RawMetadata, Replies]:
        """The answer to a stream of replies: its initial metadata, and its items as read."""
        answer, unscripted = self._next(call.path)
        if answer is None:
            return (), FakeStreamAnswer.ending(unscripted)
        if isinstance(answer, FakeStreamAnswer):
            return answer.initial, answer.replies_for(call, requests, reply_class)
        if not answer.is_failure:
            raise InvalidFakeAnswer(_streams(call.path, answer.scripted_by))
        response = answer.respond(call, reply_class)
        return response.initial_metadata().pairs(), FakeStreamAnswer.ending(response)

    def _next(self, path: str) -> tuple[Answer | None, GrpcResponse]:
        """The path's next answer, and the UNIMPLEMENTED response for when it has none."""
        with self._lock:
            answers = self._answers.get(path, [])
            answer = answers.pop(0) if len(answers) > 1 else next(iter(answers), None)
            scripted = ", ".join(sorted(self._answers)) or "nothing"
        unscripted = GrpcResponse(
            grpc.StatusCode.UNIMPLEMENTED,
            details=f"FakeGrpcClient has no answer for {path}; scripted: {scripted}",
        )
        return answer, unscripted

    @staticmethod
    def _checked_path(service: str, method: str, answer: Answer, replies: Sequence[Message]) -> str:
        if not (isinstance(service, str) and isinstance(method, str)):
            raise InvalidFakeAnswer(
                f"name the service and method with strings, got {service!r} and {method!r}"
            )
        path = f"/{service}/{method}"
        try:
            known = descriptor_pool.Default().FindServiceByName(service)
        except KeyError:
            return path  # not imported (yet): the call checks the answer against its method
        found = known.methods_by_name.get(method)
        if found is None:
            methods = ", ".join(sorted(known.methods_by_name)) or "none"
            raise InvalidFakeAnswer(
                f"{path}: {service} has no method {method!r} (it has: {methods})"
            )
        streams = isinstance(answer, FakeStreamAnswer)
        if isinstance(answer, FakeAnswer) and found.server_streaming and not answer.is_failure:
            raise InvalidFakeAnswer(_streams(path, answer.scripted_by))
        if streams and not found.server_streaming:
            raise InvalidFakeAnswer(_answers_once(path, answer.scripted_by))
        expected = found.output_type.full_name
        for index, reply in enumerate(replies):
            given = reply.DESCRIPTOR.full_name
            if given != expected and streams:
                raise InvalidFakeAnswer(
                    f"{path} returns {expected}; reply_stream() message {index} is {given}"
                )
            if given != expected:
                raise InvalidFakeAnswer(f"{path} returns {expected}, not {given}")
        return path


def _streams(path: str, scripted_by: str) -> str:
    return (
        f"{path} streams its replies: script it with reply_stream() or handle_stream(), "
        f"not {scripted_by}"
    )


def _answers_once(path: str, scripted_by: str) -> str:
    return f"{path} answers with one reply: script it with reply() or handle(), not {scripted_by}"


class InstantClock(Clock):
    """Time that passes only while someone sleeps, and sleeps that return at once.

    A ``FakeGrpcClient`` retries by its ``RetryPolicy`` on this clock: its
    answers take no time, so the backoff alone moves time towards the
    deadline, and a retried call ends in microseconds with the attempts a real
    client would have made. An async sleep still yields to the event loop once,
    as a real one does.
    """

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now += seconds

    async def sleep_async(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)


class RecordedCalls:
    """Every attempt a ``ScriptedAttempt`` was given, in order, safe to use from any thread.

    Attempts are numbered per call: every attempt of a call is handed the same
    ``GrpcInvocation``, kept here with its count so that its ``id()`` is never
    another call's (a ``request-id`` would not do: the client may send none).
    A ``RecordedCall`` is a value that never changes, so a stream still going
    on is kept at its place in the list and replaced there (``update``)
    whenever it sends a message or is cancelled.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._numbers: dict[int, tuple[GrpcInvocation, int]] = {}
        AfterFork.register(self, in_child=RecordedCalls._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        with self._lock:
            return tuple(self._calls)

    def record(
        self,
        invocation: GrpcInvocation,
        seconds: float,
        message: Any,
        messages: tuple[Any, ...] = (),
        *,
        cancelled: bool = False,
    ) -> tuple[int, RecordedCall]:
        """Record the invocation's next attempt; its place in the list, for ``update``, and it.

        ``message`` and ``messages`` are copies already (see ``RecordedCall``);
        ``seconds`` is the attempt's timeout.
        """
        method = invocation.method
        with self._lock:
            _, before = self._numbers.get(id(invocation), (invocation, 0))
            number = before + 1
            self._numbers[id(invocation)] = (invocation, number)
            call = RecordedCall(
                service=method.service,
                method=method.name,
                message=message,
                metadata=GrpcMetadata(invocation.metadata),
                timeout=seconds,
                trace_id=invocation.trace_id,
                attempt=number,
                request=invocation.request,
                messages=messages,
                cancelled=cancelled,
            )
            self._calls.append(call)
            return len(self._calls) - 1, call

    def sent(self, index: int, message: Any) -> None:
        """The stream recorded at ``index`` sent one more message (a copy)."""
        with self._lock:
            call = self._calls[index]
            self._calls[index] = dataclasses.replace(call, messages=(*call.messages, message))

    def cancelled(self, index: int) -> None:
        """The caller ended the attempt recorded at ``index`` before its end."""
        with self._lock:
            self._calls[index] = dataclasses.replace(self._calls[index], cancelled=True)


Decode = Callable[[bytes], Message]
Sent = Callable[[Message], None]


class ScriptedRequests:
    """The request messages of one scripted attempt: what the caller sends, as the fake reads it.

    A request's ``messages()`` go through the client's own ``RequestStream``, as
    on the wire: each item is checked by the method (``InvalidGrpcMessage``
    naming its index, kept in ``error``, the call then cancelled by
    ``refused``; ``GrpcRequestMessagesFailed`` alike when the iterator raises)
    and encoded, and taken only when it is read (``pull``, or the
    handler's iterator), so a generator runs as far as the "server" reads it.
    An async iterable (the async API's) is taken whole by ``consume_async``. A
    bidi stream whose request returns ``None`` gets the caller's ``write``s
    instead, until ``done_writing``. Each message sent is handed to ``sent``,
    a copy decoded from its bytes. The one message of a server-streaming call
    is there from the start, and is not handed to ``sent``.
    """

    def __init__(
        self, invocation: GrpcInvocation, decode: Decode, sent: Sent, refused: Callable[[], None]
    ) -> None:
        method = invocation.method
        self._path = method.path
        self._decode = decode
        self._sent = sent
        self._payloads: list[bytes] = []
        self._read = 0
        self._done = False
        self._source: Iterator[bytes] | None = None
        self._pending: AsyncIterator[bytes] | None = None
        self._stream: RequestStream | None = None
        if not method.sends_stream:
            self._payloads.append(invocation.payload)
            self._done = True
        elif invocation.messages is not None:
            self._stream = RequestStream(method, invocation.messages)
            self._stream.bind(refused)  # a refused item cancels the call at once
            payloads = self._stream.payloads()
            if isinstance(payloads, Iterator):
                self._source = payloads
            else:
                self._pending = payloads

    @property
    def count(self) -> int:
        """How many request messages went out so far."""
        return len(self._payloads)

    @property
    def error(self) -> GrpcClientError | None:
        """What ended ``messages()`` early, if anything did: a refused item, a failed iterator."""
        return None if self._stream is None else self._stream.error

    def copies(self) -> tuple[Any, ...]:
        """Every message sent so far, in order, each a fresh copy."""
        return tuple(self._decode(payload) for payload in self._payloads)

    def write(self, message: Message) -> None:
        """One message the caller wrote (the stream checked it already)."""
        self._add(message.SerializeToString())

    def done_writing(self) -> None:
        self._done = True

    def stop(self) -> None:
        """The attempt ended: nothing more is sent, and the handler's requests end."""
        self._done = True
        self._source = self._pending = None

    def drain(self) -> None:
        """Send what is left of ``messages()``, as a client does while the server answers."""
        while self._pull():
            pass

    async def consume_async(self) -> None:
        """Send a whole async iterable of messages; nothing for any other kind of request."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        async for payload in pending:
            self._add(payload)
        self._done = True

    def for_handler(self) -> Iterator[Any]:
        """The messages as the handler reads them: each a copy, taken as it is asked for.

        Raises ``FakeStreamStalled`` when the handler asks for a message the
        caller has not written, and has not ended the requests either: the
        handler runs while the caller reads, so none could come.
        """
        while True:
            while self._read >= len(self._payloads):
                if self._pull():
                    continue
                if self._done:
                    return
                raise FakeStreamStalled(
                    f"{self._path}: the handler asks for request message {self._read + 1}, but "
                    f"the caller wrote {len(self._payloads)} before this read: write() each "
                    "message the handler needs before reading its answer, or call "
                    "done_writing() to end the requests"
                )
            payload = self._payloads[self._read]
            self._read += 1
            yield self._decode(payload)

    def _pull(self) -> bool:
        """Send the next item of ``messages()``; ``False`` once none is left, or one was refused."""
        source = self._source
        if source is None:
            return False
        payload = next(source, None)
        if payload is None:
            self._source = None
            self._done = True
            return False
        self._add(payload)
        return True

    def _add(self, payload: bytes) -> None:
        self._payloads.append(payload)
        self._sent(self._decode(payload))


# grpcio's own details for a call its caller cancelled.
_CANCELLED = GrpcResponse(grpc.StatusCode.CANCELLED, details="Locally cancelled by application!")


class ScriptedStream(StreamAttempt):
    """One server-streaming or bidi attempt of a ``FakeGrpcClient``, answered from the script.

    The attempt is recorded as it opens and its record kept up to date (each
    message sent, a cancel). Its replies are the scripted answer's items,
    produced as the caller reads (``receive``), in the caller's thread: a
    stream handler runs then, and sees what was sent before that read. At the
    end, what is left of the request's ``messages()`` is sent, as a client
    sends it while the server answers, and a failure is judged as the real
    transport judges grpc's (``SendEvidence``). ``cancel`` ends the attempt
    CANCELLED with grpcio's own words, closes the handler (its ``finally``
    runs) and marks the record ``cancelled``.
    """

    def __init__(
        self,
        invocation: GrpcInvocation,
        seconds: float,
        message: Message | None,
        decode: Decode,
        *,
        script: FakeScript,
        calls: RecordedCalls,
    ) -> None:
        self._calls = calls
        self._index, call = calls.record(invocation, seconds, message)
        self._final: GrpcResponse | None = None
        self._cancelled = False
        self._pulling = threading.Lock()
        self._requests = ScriptedRequests(invocation, decode, self._recorded, self.cancel)
        method = invocation.method
        self._initial, self._replies = script.open(
            call, method.response_class, self._requests.for_handler()
        )

    def receive(self) -> Message | GrpcResponse:
        if self._final is not None:
            return self._final
        self._raise_refused()  # an async iterable of messages is sent before the first read
        if self._cancelled:
            return self._ended(_CANCELLED)
        with self._pulling:
            item = next(self._replies, None)
        self._raise_refused()
        if item is None:  # closed by a cancel() from another thread meanwhile
            return self._ended(_CANCELLED)
        if isinstance(item, GrpcResponse):
            self._requests.drain()
            self._raise_refused()
            return self._ended(item)
        return item

    def write(self, message: Message) -> bool:
        if self._final is not None or self._cancelled:
            return False
        self._requests.write(message)
        return True

    def done_writing(self) -> None:
        self._requests.done_writing()

    def cancel(self) -> None:
        if self._final is not None or self._cancelled:
            return
        self._cancelled = True
        self._calls.cancelled(self._index)
        self._requests.stop()
        if self._pulling.acquire(blocking=False):  # not while a read runs the handler
            try:
                self._replies.close()
            finally:
                self._pulling.release()

    def initial_metadata(self) -> RawMetadata:
        return self._initial

    @property
    def sent(self) -> int:
        return self._requests.count

    @property
    def finished(self) -> bool:
        """Whether the attempt has ended, read to its end or cancelled: it takes no more writes."""
        return self._final is not None or self._cancelled

    async def consume_async(self) -> None:
        """Send the request's async iterable of messages: the async API's, before a read."""
        await self._requests.consume_async()

    def _recorded(self, message: Any) -> None:
        self._calls.sent(self._index, message)

    def _raise_refused(self) -> None:
        """A request item was refused: the call is cancelled for it, and it is what is raised."""
        error = self._requests.error
        if error is not None:
            self.cancel()
            self._replies.close()
            raise error

    def _ended(self, response: GrpcResponse) -> GrpcResponse:
        if not response.is_success():
            response = SendEvidence.judged(response, connected=False, waited_for_ready=False)
        self._final = response
        self._requests.stop()
        self._replies.close()
        return response


class ScriptedStreamAsync(AsyncStreamAttempt):
    """A ``ScriptedStream`` for ``stream_async``: the same attempt, awaited on this event loop.

    Each read and write yields to the event loop once, as a real one suspends,
    so another task (a writer beside the reader) runs before the handler does;
    the handler itself runs on the loop, in the reading task. A request's async
    iterable of messages is sent whole before the first read.
    """

    def __init__(self, stream: ScriptedStream) -> None:
        self._stream = stream

    async def receive(self) -> Message | GrpcResponse:
        await asyncio.sleep(0)
        await self._stream.consume_async()
        return self._stream.receive()

    async def write(self, message: Message) -> bool:
        await asyncio.sleep(0)
        return self._stream.write(message)

    async def done_writing(self) -> None:
        self._stream.done_writing()

    def cancel(self) -> None:
        self._stream.cancel()

    async def initial_metadata(self) -> RawMetadata:
        return self._stream.initial_metadata()

    @property
    def sent(self) -> int:
        return self._stream.sent


class ScriptedAttempt(GrpcTransport):
    """A ``FakeGrpcClient``'s wire: each attempt is recorded, then answered from the script.

    It stands where ``Attempt`` stands in a real client, under the same
    ``CallEngine``, so bulkhead, breaker, deadline and retries run as in
    production and only the trip to the server is make-believe. Attempts are
    numbered per call (every attempt of a call shares its invocation).

    A client-streaming attempt sends its request's ``messages()`` first, each
    checked and encoded by the client's own ``RequestStream`` as on the wire (a
    refused item is raised, ``InvalidGrpcMessage`` naming its index, as is an
    iterator that raised, ``GrpcRequestMessagesFailed``, and the attempt
    recorded ``cancelled``), then is answered once, its record carrying
    every message sent. A server-streaming or bidi attempt opens a
    ``ScriptedStream`` (``ScriptedStreamAsync`` for ``stream_async``).
    """

    def __init__(self, script: FakeScript) -> None:
        self._script = script
        self._calls = RecordedCalls()

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        return self._calls.calls

    def send(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        message = invocation.message
        if message is None:
            requests = self._client_stream(invocation)
            requests.drain()
            return self._answered(invocation, seconds, requests)
        _, call = self._calls.record(
            invocation, seconds, type(message).FromString(invocation.payload)
        )
        return _judged(self._script.respond(call, invocation.method.response_class))

    async def send_async(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        await asyncio.sleep(0)  # a real call suspends; code under test may rely on it
        if invocation.message is not None:
            return self.send(invocation, seconds)
        requests = self._client_stream(invocation)
        await requests.consume_async()
        requests.drain()
        return self._answered(invocation, seconds, requests)

    def open(self, invocation: GrpcInvocation, seconds: float) -> StreamAttempt | GrpcResponse:
        return self._opened(invocation, seconds)

    async def open_async(
        self, invocation: GrpcInvocation, seconds: float
    ) -> AsyncStreamAttempt | GrpcResponse:
        await asyncio.sleep(0)
        return ScriptedStreamAsync(self._opened(invocation, seconds))

    def _opened(self, invocation: GrpcInvocation, seconds: float) -> ScriptedStream:
        method, message = invocation.method, invocation.message
        copy = None if message is None else type(message).FromString(invocation.payload)
        decode = _decoder(method)
        return ScriptedStream(
            invocation, seconds, copy, decode, script=self._script, calls=self._calls
        )

    @staticmethod
    def _client_stream(invocation: GrpcInvocation) -> ScriptedRequests:
        return ScriptedRequests(
            invocation, _decoder(invocation.method), lambda message: None, lambda: None
        )

    def _answered(
        self, invocation: GrpcInvocation, seconds: float, requests: ScriptedRequests
    ) -> GrpcResponse:
        """The one answer to a client stream whose messages were all sent (or one refused)."""
        error = requests.error
        _, call = self._calls.record(
            invocation, seconds, None, requests.copies(), cancelled=error is not None
        )
        if error is not None:
            raise error
        response = _judged(self._script.respond(call, invocation.method.response_class))
        return response.with_stream_counts(requests.count, response.messages_received())


def _judged(response: GrpcResponse) -> GrpcResponse:
    """Judged as the real transport judges grpc's errors.

    A scripted server has no connection to be READY, so grpc's own texts prove
    a call never left.
    """
    if response.is_success():
        return response
    return SendEvidence.judged(response, connected=False, waited_for_ready=False)


def _decoder(method: GrpcMethod) -> Decode:
    """How the method's request messages are read back from their bytes."""
    request_class: type[Message] | None = method.request_class
    if request_class is None:  # a method known only from its request is unary: never streamed
        raise InvalidFakeAnswer(f"{method.path}: a stream needs the method's descriptor")
    return request_class.FromString


# grpc-core's pick_first wording for a call no connection could be made for.
_UNREACHABLE = (
    "failed to connect to all addresses; last error: UNKNOWN: Connection refused "
    "(scripted by FakeGrpcClient.unreachable)"
)


class FakeGrpcClient(GrpcClient):
    """A ``GrpcClient`` that answers from a script instead of a server, and records every call.

    A subclass, so it goes wherever a ``GrpcClient`` is typed (a constructor
    argument, an injector binding, a ``client_factory``), and it is the real
    client but for the wire: it opens no channel, and its attempts go to a
    ``ScriptedAttempt`` instead, under the same ``CallEngine``. So each request
    passes the client's own checks and the fake raises exactly what the real
    client raises; the ids and the log event are the real ones; bulkhead,
    circuit breaker, deadline and retries behave as in production, the retries'
    backoff on an ``InstantClock`` so it costs nothing; and a closed fake raises
    ``GrpcClientClosed``. Built like the real client: ``FakeGrpcClient(target,
    ...)`` or ``FakeGrpcClient.from_settings(settings)``.

    Every call kind is scripted by what the method answers: one reply
    (``reply``, ``handle``; a client-streaming call too, its ``RecordedCall``
    carrying the ``messages`` sent) or a stream of them (``reply_stream``,
    ``handle_stream``, for server-streaming and bidi methods, read through
    ``stream``/``stream_async``). ``fail`` and ``unreachable`` fit every kind:
    a stream given one fails before its first message, so it is retried as a
    real one would be. A stream the caller closes early is recorded
    ``cancelled``. ``reset()`` forgets a scenario (what was scripted, what
    was recorded, the breaker's state), so one fake serves several.
    """

    @DeclaredSettings.signed(GrpcClientSettings, after="target")
    def __init__(
        self,
        target: str = "fake:50051",
        *,
        clock: Clock | None = None,
        channel_registry: ChannelRegistry | None = None,
        stages: Stages = (),
        **options: Unpack[GrpcClientOptions],
    ) -> None:
        """Any keyword ``GrpcClient`` takes, checked as it checks them (and by mypy alike).

        ``channel_registry`` is accepted and unused: the fake opens no channel.
        ``stages`` run as on the real client, around the scripted wire.
        """
        settings = GrpcClientSettings.create(target, **options)
        self._open(settings, clock, channel_registry, stages)

    @staticmethod
    def _default_clock() -> Clock:
        return InstantClock()

    def _connect(self, channel_registry: ChannelRegistry | None) -> CircuitBreaker | None:
        """No channel and no registry: the script for a wire, and a breaker of its own."""
        self._scripted_anew()
        policy = self._settings.circuit_breaker
        self._breaker = CircuitBreaker(policy, self._clock) if policy.enabled else None
        return self._breaker

    def _scripted_anew(self) -> None:
        """An empty script, and a wire that answers from it and records afresh."""
        self._script = FakeScript()
        self._wire = ScriptedAttempt(self._script)
        self._attempt = self._wire

    def reset(self) -> None:
        """Forget the scenario: the scripted answers, the recorded calls and the breaker's state.

        So one fake serves several scenarios, in one test or from a fixture of
        a wider scope: afterwards nothing is scripted (every method answers
        UNIMPLEMENTED), ``calls`` is empty and attempts are numbered afresh,
        and every circuit of its breaker is closed. What stays is the client
        itself: its settings and stages, whether it is closed, its clock (time
        only moves on), the bulkhead slots of calls still under way (given
        back as they end) and its ``EventLoopBlockedWarning``, given once per
        client. A stream still open keeps the answer it opened with, and its
        record goes with the forgotten ones. Call it between scenarios, not
        while another thread is calling.
        """
        self._scripted_anew()
        if self._breaker is not None:
            self._breaker.reset()

    def reply(
        self,
        service: str,
        method: str,
        message: Message,
        *,
        initial_metadata: ResponseMetadata = (),
        trailing_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer the method with ``message``, as a server that succeeded.

        Each call gets its own copy, as each real call decodes its own reply, so
        code that changes one reply cannot change the next.
        """
        answer = FakeAnswer.reply(message, initial_metadata, trailing_metadata)
        self._script.add(service, method, answer, (message,))

    def fail(
        self,
        service: str,
        method: str,
        code: grpc.StatusCode,
        details: str = "",
        *,
        initial_metadata: ResponseMetadata = (),
        trailing_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer the method as a server that aborted with ``code`` would.

        A response, never an exception, as from the real client; a retryable code
        is retried by the ``RetryPolicy``, so script what the retries get next. As
        with the real client, a request that is not idempotent is retried only if
        ``details`` are grpc's own for a call that never left (``SendEvidence``:
        "failed to connect to all addresses; ..." for a server that is down).
        """
        answer = FakeAnswer.failure(code, details, initial_metadata, trailing_metadata)
        self._script.add(service, method, answer)

    def unreachable(self, service: str, method: str) -> None:
        """Answer the method as grpc does when no connection can be made to the server.

        UNAVAILABLE with grpc's own details for a call that failed before it
        left the client (pick_first's "failed to connect to all addresses"), so
        it is retried for any request, idempotent or not, and the circuit
        breaker does not count it, exactly as for a server that is down.
        """
        answer = FakeAnswer.failure(
            grpc.StatusCode.UNAVAILABLE, _UNREACHABLE, (), (), "unreachable()"
        )
        self._script.add(service, method, answer)

    def handle(self, service: str, method: str, handler: Handler) -> None:
        """Answer the method with what ``handler(call)`` returns: a message or a ``GrpcResponse``.

        For answers that depend on what was sent (``call`` is its ``RecordedCall``;
        for a client-streaming method, ``call.messages`` holds every message the
        caller sent). An exception the handler raises reaches the test as it is:
        it is a bug in the test, not something a server could answer.
        """
        self._script.add(service, method, FakeAnswer.handler(handler))

    def reply_stream(
        self,
        service: str,
        method: str,
        messages: Iterable[Message],
        *,
        status: grpc.StatusCode = grpc.StatusCode.OK,
        details: str = "",
        initial_metadata: ResponseMetadata = (),
        trailing_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer a server-streaming or bidi method with ``messages``, then end it with ``status``.

        The caller reads the messages in order (each its own copy, of the
        method's reply class), then the end: with a ``status`` other than OK
        the stream fails after them, so its loop raises the domain's
        ``RemoteServiceError`` once they were read, and the status is then on
        the stream. No retry follows a failure that came after a message, as
        in production. The messages are read now (a generator is taken whole);
        ``initial_metadata`` comes with the first message, ``trailing_metadata``
        with the end. Raises ``InvalidFakeAnswer`` for a method that answers
        once (script it with ``reply``) and for a message of the wrong class.
        """
        answer = FakeStreamAnswer.replies(
            messages, status, details, initial_metadata, trailing_metadata
        )
        self._script.add(service, method, answer, answer.scripted)

    def handle_stream(
        self,
        service: str,
        method: str,
        handler: StreamHandler,
        *,
        initial_metadata: ResponseMetadata = (),
    ) -> None:
        """Answer a server-streaming or bidi method with what ``handler(call, requests)`` yields.

        ``call`` is the attempt's ``RecordedCall`` as it opened; ``requests``
        an iterator of the request messages the caller sends, each a copy: the
        one message of a server-streaming call, the ``messages()`` of a bidi
        request, or what the caller ``write()``s. The handler returns an
        iterable (a generator reads best) of reply messages; a ``GrpcResponse``
        among them ends the stream with its status, details and trailing
        metadata (OK when the items run out without one). It runs when the
        caller reads, in the caller's thread, and sees what was written before
        that read, so a bidi ping-pong (write, read, write, read) works in one
        thread; a handler asking for a message the caller has not written
        while it waits for a reply raises ``FakeStreamStalled`` from the read,
        where a real server would wait forever. ``initial_metadata`` comes
        with the first message. An exception the handler raises reaches the
        test as it is; closing the stream closes the handler's generator.
        """
        answer = FakeStreamAnswer.handler(handler, initial_metadata)
        self._script.add(service, method, answer)

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        """Every attempt so far, in order: once per attempt, as a server sees a retried call.

        A stream's record is as of now: the messages sent so far, and whether
        the caller cancelled it.
        """
        return self._wire.calls

    def calls_to(self, service: str, method: str) -> tuple[RecordedCall, ...]:
        """The attempts answered for one method, in order."""
        return tuple(call for call in self.calls if call.path == f"/{service}/{method}")

    def wait_until_ready(self, timeout: float) -> bool:
        """Always ready at once while open: there is no connection to wait for.

        On a thread running an event loop it warns as the real client does
        (``EventLoopBlockedWarning``), whose wait would block that loop.
        """
        if running_loop() is not None:
            self._blocked_loop.warn()
        return self._ready(timeout)

    async def wait_until_ready_async(
        self,
        timeout: float,  # noqa: ASYNC109  # checked as the real client checks it, never waited on
    ) -> bool:
        return self._ready(timeout)

    def _ready(self, timeout: float) -> bool:
        TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout")
        closed = self._closed_error()
        if closed is not None:
            raise closed
        return True

    def close(self) -> None:
        self._closed = True
