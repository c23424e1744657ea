import grpc
from google.protobuf.message import EncodeError, Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    OutgoingMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethodCatalog import (
    GrpcMethodCatalog,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.CompressionChoice import (
    CompressionChoice,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext

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
_MethodKey = tuple[str, str, type[Message] | None]


def _inherited(request_class: type[GrpcRequest]) -> frozenset[str]:
    """Which of ``_DEFAULTED`` the class leaves to ``GrpcRequest``."""
    return frozenset(
        name for name in _DEFAULTED if getattr(request_class, name) is getattr(GrpcRequest, name)
    )


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


class GrpcInvocationFactory:
    """Asks a request for everything once and checks it all before anything is sent.

    Each answer is validated here, so a mistake surfaces as a named error at
    the call site rather than as a puzzling status from grpc-core. One per
    client, since it holds the client's settings. What costs on every call is
    remembered: per request class, which of ``GrpcRequest``'s defaults it
    keeps (those answers are known without asking: a class is not expected to
    change its methods once it has been called), and per service, method and
    declared reply class, the resolved ``GrpcMethod`` (``GrpcMethodCatalog``).
    """

    def __init__(self, settings: GrpcClientSettings, credentials: int = 0) -> None:
        """``credentials``: the bytes call credentials add (``MetadataSize.of_bearer_token``)."""
        self._settings = settings
        self._credentials = credentials
        self._inherited: dict[type[GrpcRequest], frozenset[str]] = {}
        self._methods: dict[_MethodKey, GrpcMethod] = {}

    def build(self, request: GrpcRequest, now: float) -> GrpcInvocation:
        """The invocation of ``request``, its deadline counted from ``now`` (the client's clock)."""
        inherited = self._inherited.get(type(request))
        if inherited is None:  # a class not seen yet: is it a request at all?
            if not isinstance(request, GrpcRequest):
                raise InvalidGrpcRequest(
                    f"expected a GrpcRequest, got {type(request).__qualname__}"
                )
            inherited = self._inherited[type(request)] = _inherited(type(request))
        settings = self._settings
        message = request.message()  # first: the seed's requests import their *_pb2 module in it
        method = self._method(request, "response_class" in inherited)
        if type(message) is not method.request_class:
            method.check(message)
        seconds = settings.default_timeout if "timeout" in inherited else self._timeout(request)
        metadata, trace_id, correlation_id, request_id = OutgoingMetadata.build(
            None if "metadata" in inherited else request.metadata(),
            RequestContext.get_context(),
            self._credentials,
        )
        return GrpcInvocation(
            request=request,
            method=method,
            message=message,
            payload=_encoded(method, message),
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

    def _method(self, request: GrpcRequest, undeclared: bool) -> GrpcMethod:
        key = (
            request.service_name(),
            request.method_name(),
            None if undeclared else request.response_class(),
        )
        try:
            found = self._methods.get(key)
        except TypeError as error:
            raise InvalidGrpcRequest(
                f"service and method names must be strings, got {key!r}"
            ) from error
        if found is None:
            found = self._methods[key] = _METHODS.resolve(*key)
        return found

    def _timeout(self, request: GrpcRequest) -> float:
        timeout = request.timeout()
        if timeout is None:
            return self._settings.default_timeout
        return TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout()")

    def _retry(self, request: GrpcRequest) -> RetryPolicy:
        retry = request.retry_policy() or self._settings.retry
        if not isinstance(retry, RetryPolicy):
            raise InvalidGrpcRequest(f"retry_policy() must return a RetryPolicy, got {retry!r}")
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
