import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.MetadataSize import MetadataSize
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    OutgoingMetadata,
)
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


class GrpcInvocationFactory:
    """Asks a request for everything once and checks it all before anything is sent.

    Each answer is validated here, so a mistake surfaces as a named error at
    the call site rather than as a puzzling status from grpc-core.
    """

    @staticmethod
    def build(request: GrpcRequest, settings: GrpcClientSettings, now: float) -> GrpcInvocation:
        """The invocation of ``request``, its deadline counted from ``now`` (the client's clock)."""
        if not isinstance(request, GrpcRequest):
            raise InvalidGrpcRequest(f"expected a GrpcRequest, got {type(request).__qualname__}")
        message = request.message()  # first: the seed's requests import their *_pb2 module in it
        method = _METHODS.resolve(request)
        method.check(message)
        timeout = request.timeout()
        seconds = (
            settings.default_timeout
            if timeout is None
            else TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout()")
        )
        metadata, trace_id, correlation_id, request_id = OutgoingMetadata.build(
            request.metadata(),
            RequestContext.get_context(),
            MetadataSize.of_bearer_token(settings.bearer_token),
        )
        return GrpcInvocation(
            request=request,
            method=method,
            message=message,
            payload=method.encode(message),
            metadata=metadata,
            timeout=seconds,
            deadline=now + seconds,
            idempotent=GrpcInvocationFactory._idempotent(request),
            retry=GrpcInvocationFactory._retry(request, settings),
            compression=GrpcInvocationFactory._compression(request, settings),
            wait_for_ready=GrpcInvocationFactory._wait_for_ready(request, settings),
            trace_id=trace_id,
            correlation_id=correlation_id,
            request_id=request_id,
        )

    @staticmethod
    def _retry(request: GrpcRequest, settings: GrpcClientSettings) -> RetryPolicy:
        retry = request.retry_policy() or settings.retry
        if not isinstance(retry, RetryPolicy):
            raise InvalidGrpcRequest(f"retry_policy() must return a RetryPolicy, got {retry!r}")
        return retry

    @staticmethod
    def _compression(request: GrpcRequest, settings: GrpcClientSettings) -> grpc.Compression | None:
        """The request's choice, else the client's; ``None`` (grpc's default: none) if neither.

        grpc lets a channel's default compression beat a call's ``NoCompression``,
        so the client never sets one on its channels and passes its own default
        with each call instead, where a request's ``"none"`` can override it.
        """
        chosen = request.compression()
        if chosen is None:
            return settings.compression
        return CompressionChoice.parse(chosen, InvalidGrpcRequest, "compression()")

    @staticmethod
    def _idempotent(request: GrpcRequest) -> bool:
        idempotent = request.idempotent()
        if type(idempotent) is not bool:
            raise InvalidGrpcRequest(f"idempotent() must return a bool, got {idempotent!r}")
        return idempotent

    @staticmethod
    def _wait_for_ready(request: GrpcRequest, settings: GrpcClientSettings) -> bool:
        chosen = request.wait_for_ready()
        if chosen is None:
            return settings.wait_for_ready
        if type(chosen) is not bool:
            raise InvalidGrpcRequest(f"wait_for_ready() must return a bool or None, got {chosen!r}")
        return chosen
