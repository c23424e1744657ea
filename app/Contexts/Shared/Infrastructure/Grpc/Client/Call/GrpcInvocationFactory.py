from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CompressionChoice import CompressionChoice
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.TimeoutSeconds import TimeoutSeconds
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
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext

_METHODS = GrpcMethodCatalog()


class GrpcInvocationFactory:
    """Asks a request for everything once and checks it all before anything is sent.

    Each answer is validated here, so a mistake surfaces as a named error at
    the call site rather than as a puzzling status from grpc-core.
    """

    @staticmethod
    def build(request: GrpcRequest, settings: GrpcClientSettings) -> GrpcInvocation:
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
        retry = request.retry_policy() or settings.retry
        if not isinstance(retry, RetryPolicy):
            raise InvalidGrpcRequest(f"retry_policy() must return a RetryPolicy, got {retry!r}")
        compression = request.compression()
        chosen = (
            settings.compression
            if compression is None
            else CompressionChoice.parse(compression, InvalidGrpcRequest, "compression()")
        )
        idempotent = request.idempotent() is True
        return GrpcInvocation(
            method,
            message,
            metadata,
            seconds,
            trace_id,
            idempotent,
            retry,
            chosen,
            correlation_id,
            request_id,
        )
