"""One call as the engine sees it: method, message, metadata and deadline, checked."""

from collections.abc import AsyncIterable, Iterable
from enum import Enum
from functools import lru_cache
from typing import NamedTuple

import grpc
from google.protobuf.message import EncodeError, Message

from grpc_request_client.context import RequestContext
from grpc_request_client.errors import (
    InvalidGrpcMessage,
    InvalidGrpcRequest,
    InvalidGrpcTimeout,
    UnsupportedGrpcMethod,
)
from grpc_request_client.metadata import (
    NO_METADATA,
    GrpcMetadata,
    MetadataPairs,
    OutgoingMetadata,
    SentIds,
)
from grpc_request_client.methods import GrpcMethod, GrpcMethodCatalog
from grpc_request_client.options import CompressionChoice, TimeoutSeconds
from grpc_request_client.policies import RetryPolicy
from grpc_request_client.request import GrpcRequest, RequestMessages, StreamingGrpcRequest
from grpc_request_client.settings import GrpcClientSettings


class CallStep(Enum):
    """What a driver does next for a call, the first item of each step ``CallEngine`` yields.

    ``CallEngine`` decides, the drivers (``GrpcClient.call`` and
    ``call_async``) only carry out: ``SLOT`` waits for a bulkhead slot
    (answering whether one was taken), ``SEND`` makes one attempt with this
    timeout (answering its ``GrpcResponse``), ``SLEEP`` waits out a backoff
    (answering ``None``). A step is a plain ``(CallStep, seconds, invocation)``
    tuple, since one is made for every attempt of every call.

    A stream's attempt (``GrpcStream``, ``AsyncGrpcStream``) is answered
    differently: ``SEND`` opens it, and is answered by the attempt's response
    if it ended before a reply message came, or by ``StreamOpened.ANSWER`` once one
    did; from then on no attempt is retried, and ``RECEIVE`` waits for the end
    of the stream, answering its final response.
    """

    SLOT = "slot"
    SEND = "send"
    SLEEP = "sleep"
    RECEIVE = "receive"


class GrpcInvocation(NamedTuple):
    """A request after every check passed: exactly what will be sent, and how.

    Taking the request's values once, before the call, means a request object
    whose methods compute their answers is asked only once, and retries and logs
    see the values that went on the wire. ``payload`` is ``message`` serialized
    once, so every attempt sends the same bytes. A request that sends a stream has
    no ``message`` (and an empty ``payload``) but ``messages``, a sequence already
    checked item by item, an iterable or an async iterable checked as it is sent,
    or ``None`` for a bidi stream the caller writes to; ``replayable`` says
    whether what it sends can be sent again (one message or a sequence), the
    condition of any retry. ``deadline`` is absolute, on the client's clock: fixed
    when ``call()``/``call_async()`` is entered, it bounds the bulkhead wait,
    every attempt and every backoff (``timeout`` is the seconds it was made from).
    The ids are those in ``metadata``, kept apart for the call's log event
    (``""`` for one not sent, ``SentIds``); ``request_id`` is the same on every
    attempt of the call; ``request`` is the object asked, for test doubles that
    record it; ``target`` the client's target, as it was given
    (``dns:///users:50051``), for stages that name the server. A
    NamedTuple because it is built on every call and must cost next to nothing;
    always built by keyword, so a field added later can never take another's
    place. Its repr names the message's type and shows the metadata as
    ``GrpcMetadata`` does, credentials redacted: a traceback that renders local
    variables (structlog's ``dict_tracebacks``, Sentry) shows it.
    """

    request: GrpcRequest
    target: str
    method: GrpcMethod
    message: Message | None
    payload: bytes
    messages: RequestMessages
    replayable: bool
    metadata: MetadataPairs
    timeout: float
    deadline: float
    idempotent: bool
    retry: RetryPolicy
    compression: grpc.Compression | None
    wait_for_ready: bool
    trace_id: str
    correlation_id: str
    request_id: str

    def __repr__(self) -> str:
        return (
            f"<GrpcInvocation {self.method.path} {self._sends()} "
            f"metadata={GrpcMetadata(self.metadata)!r} timeout={self.timeout:g}>"
        )

    def _sends(self) -> str:
        if self.message is not None:
            return type(self.message).__name__
        messages = self.messages
        if messages is None:
            return "written messages"
        return f"{type(messages).__name__} of messages"


_METHODS = GrpcMethodCatalog()
# The methods of GrpcRequest with a default, asked only of classes that override them.
_DEFAULTED = (
    "metadata",
    "timeout",
    "response_class",
    "idempotent",
    "retry_policy",
    "compression",
    "wait_for_ready",
)
# How many request classes' inherited defaults a client keeps (``_inherited``): more classes
# than a service has, and a bound on those a client that lives on keeps alive when the
# process makes its classes as it goes (one defined in a function, say).
KEPT_REQUEST_CLASSES = 1024
_SENDS_MESSAGES = "messages"  # in a class's inherited set: it sends messages(), not message()
# Each call kind in words, and the client method that makes it, for an error naming it.
_KIND_WORDS = {
    "unary": ("unary", "call"),
    "client_stream": ("client streaming", "call"),
    "server_stream": ("server streaming", "stream"),
    "bidi_stream": ("bidirectional streaming", "stream"),
}


def _inherited(request_class: type) -> frozenset[str]:
    """Which of ``_DEFAULTED`` the class leaves to ``GrpcRequest``, and whether it streams.

    ``_SENDS_MESSAGES`` is in it for a ``StreamingGrpcRequest``, so telling the
    two kinds of request apart costs a set lookup rather than an ABC check.
    Raises ``InvalidGrpcRequest`` for a class that is no ``GrpcRequest``.
    """
    if not issubclass(request_class, GrpcRequest):
        raise InvalidGrpcRequest(f"expected a GrpcRequest, got {request_class.__qualname__}")
    inherited = {
        name for name in _DEFAULTED if getattr(request_class, name) is getattr(GrpcRequest, name)
    }
    if issubclass(request_class, StreamingGrpcRequest):
        inherited.add(_SENDS_MESSAGES)
    return frozenset(inherited)


def _encoded(method: GrpcMethod, message: Message) -> bytes:
    """The bytes to send, made once per call so every attempt sends the same ones.

    Raises ``InvalidGrpcMessage`` for a message protobuf refuses to serialize
    (a proto2 message missing a required field).
    """
    try:
        return message.SerializeToString()
    except EncodeError as error:
        raise InvalidGrpcMessage(
            f"{method.path}: message() cannot be serialized: {error}"
        ) from error


def _kind_error(method: GrpcMethod, used: str) -> UnsupportedGrpcMethod:
    words, right = _KIND_WORDS[method.kind]
    return UnsupportedGrpcMethod(
        f"{method.path} is {words}: make it with client.{right}(request) (or {right}_async), "
        f"not {used}"
    )


def _checked_messages(method: GrpcMethod, messages: object, blocking: bool) -> bool:
    """Whether ``messages`` can be sent again; raises for what can never be sent.

    A list or tuple is checked item by item now, before anything is sent, and
    can be replayed; another iterable is checked as it is sent, once.
    """
    if isinstance(messages, list | tuple):
        for index, item in enumerate(messages):
            if type(item) is not method.request_class:
                method.check(item, f"messages() item {index} is")
        return True
    if messages is None:
        if method.kind != "bidi_stream":
            raise InvalidGrpcRequest(
                f"{method.path}: messages() returned None, which only a bidirectional stream "
                "takes (its caller writes them); return the messages to send"
            )
        return False
    if isinstance(messages, AsyncIterable) and not isinstance(messages, Iterable):
        if blocking:
            raise InvalidGrpcRequest(
                f"{method.path}: messages() returned an async iterable, which only the async "
                "API (call_async, stream_async) can send"
            )
        return False
    if not isinstance(messages, Iterable) or isinstance(messages, str | bytes):
        raise InvalidGrpcRequest(
            f"{method.path}: messages() must return an iterable of messages (a list, a "
            f"generator) or None, got {type(messages).__qualname__}"
        )
    return False


class GrpcInvocationFactory:
    """Asks a request for everything once and checks it all before anything is sent.

    Each answer is validated here, so a mistake surfaces as a named error at
    the call site rather than as a puzzling status from grpc-core. One per
    client, since it holds the client's settings. What costs on every call is
    remembered, within bounds: per request class, which of ``GrpcRequest``'s
    defaults it keeps (those answers are known without asking: a class is not
    expected to change its methods while a client calls it), for the
    ``KEPT_REQUEST_CLASSES`` classes this client used last; and per service,
    method and declared reply class, the resolved ``GrpcMethod``, by the
    process-wide ``GrpcMethodCatalog``, so a client made per request resolves
    nothing its predecessors did.
    """

    def __init__(self, settings: GrpcClientSettings, credentials: int = 0) -> None:
        """``credentials``: the bytes call credentials add (``MetadataSize.of_bearer_token``)."""
        self._settings = settings
        self._credentials = credentials
        self._ids = SentIds(settings.sent_ids)
        self._inherited = lru_cache(maxsize=KEPT_REQUEST_CLASSES)(_inherited)

    def build(
        self, request: GrpcRequest, now: float, streams: bool = False, blocking: bool = True
    ) -> GrpcInvocation:
        """The invocation of ``request``, its deadline counted from ``now`` (the client's clock).

        ``streams``: whether the caller opens a stream of replies (``stream()``)
        rather than awaiting one (``call()``); ``blocking``: whether it is the
        blocking API, which cannot send an async iterable. A method of the other
        kind raises ``UnsupportedGrpcMethod`` naming the API to use.
        """
        inherited = self._inherited(type(request))
        if _SENDS_MESSAGES in inherited:
            return self._streaming(request, inherited, now, streams, blocking)  # type: ignore[arg-type]
        message = request.message()  # first: a request may import its *_pb2 module in it
        method = self._method(request, "response_class" in inherited)
        if method.kind != "unary":
            self._check_kind(method, streams, one_message=True)
        elif streams:
            raise _kind_error(method, "stream()")
        if type(message) is not method.request_class:
            method.check(message)
        return self._invocation(
            request,
            inherited,
            now,
            method=method,
            message=message,
            payload=_encoded(method, message),
            messages=None,
            replayable=True,
        )

    def _streaming(
        self,
        request: StreamingGrpcRequest,
        inherited: frozenset[str],
        now: float,
        streams: bool,
        blocking: bool,
    ) -> GrpcInvocation:
        messages = request.messages()
        method = self._method(request, "response_class" in inherited)
        self._check_kind(method, streams, one_message=False)
        replayable = _checked_messages(method, messages, blocking)
        return self._invocation(
            request,
            inherited,
            now,
            method=method,
            message=None,
            payload=b"",
            messages=messages,
            replayable=replayable,
        )

    @staticmethod
    def _check_kind(method: GrpcMethod, streams: bool, one_message: bool) -> None:
        """Raise ``UnsupportedGrpcMethod`` unless the API and the request fit the method."""
        if method.receives_stream is not streams:
            raise _kind_error(method, "stream()" if streams else "call()")
        if one_message and method.sends_stream:
            raise UnsupportedGrpcMethod(
                f"{method.path} takes a stream of messages: extend StreamingGrpcRequest and "
                "return them from messages()"
            )
        if not one_message and not method.sends_stream:
            raise UnsupportedGrpcMethod(
                f"{method.path} takes one message: extend GrpcRequest (or BaseGrpcRequest) and "
                "return it from message()"
            )

    def _invocation(
        self,
        request: GrpcRequest,
        inherited: frozenset[str],
        now: float,
        *,
        method: GrpcMethod,
        message: Message | None,
        payload: bytes,
        messages: RequestMessages,
        replayable: bool,
    ) -> GrpcInvocation:
        settings = self._settings
        seconds = settings.default_timeout if "timeout" in inherited else self._timeout(request)
        metadata, trace_id, correlation_id, request_id = OutgoingMetadata.build(
            NO_METADATA if "metadata" in inherited else request.metadata(),
            RequestContext.get_context(),
            self._credentials,
            self._ids,
            type(request),
        )
        return GrpcInvocation(
            request=request,
            target=settings.target,
            method=method,
            message=message,
            payload=payload,
            messages=messages,
            replayable=replayable,
            metadata=metadata,
            timeout=seconds,
            deadline=now + seconds,
            idempotent="idempotent" not in inherited and self._idempotent(request),
            retry=settings.retry if "retry_policy" in inherited else self._retry(request),
            compression=(
                settings.compression if "compression" in inherited else self._compression(request)
            ),
            wait_for_ready=(
                settings.wait_for_ready
                if "wait_for_ready" in inherited
                else self._wait_for_ready(request)
            ),
            trace_id=trace_id,
            correlation_id=correlation_id,
            request_id=request_id,
        )

    @staticmethod
    def _method(request: GrpcRequest, undeclared: bool) -> GrpcMethod:
        service, name = request.service_name(), request.method_name()
        declared = None if undeclared else request.response_class()
        try:
            return _METHODS.resolve(service, name, declared)
        except TypeError as error:  # unhashable: no name or class is
            raise InvalidGrpcRequest(
                f"service and method names must be strings, got {(service, name, declared)!r}"
            ) from error

    def _timeout(self, request: GrpcRequest) -> float:
        timeout = request.timeout()
        if timeout is None:
            return self._settings.default_timeout
        return TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout()")

    def _retry(self, request: GrpcRequest) -> RetryPolicy:
        retry = request.retry_policy()
        if retry is None:
            return self._settings.retry
        if not isinstance(retry, RetryPolicy):
            raise InvalidGrpcRequest(
                f"{type(request).__qualname__}.retry_policy() must return a RetryPolicy or None, "
                f"got {retry!r}"
            )
        return retry

    def _compression(self, request: GrpcRequest) -> grpc.Compression | None:
        """The request's choice, else the client's; ``None`` (grpc's default: none) if neither.

        grpc lets a channel's default compression beat a call's ``NoCompression``,
        so the client never sets one on its channels and passes its own default
        with each call instead, where a request's ``"none"`` can override it.
        """
        chosen = request.compression()
        if chosen is None:
            return self._settings.compression
        return CompressionChoice.parse(chosen, InvalidGrpcRequest, "compression()")

    @staticmethod
    def _idempotent(request: GrpcRequest) -> bool:
        idempotent = request.idempotent()
        if type(idempotent) is not bool:
            raise InvalidGrpcRequest(f"idempotent() must return a bool, got {idempotent!r}")
        return idempotent

    def _wait_for_ready(self, request: GrpcRequest) -> bool:
        chosen = request.wait_for_ready()
        if chosen is None:
            return self._settings.wait_for_ready
        if type(chosen) is not bool:
            raise InvalidGrpcRequest(f"wait_for_ready() must return a bool or None, got {chosen!r}")
        return chosen
