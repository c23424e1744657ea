from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class UnknownGrpcMethod(GrpcClientError, LookupError):
    """The client cannot tell what ``/service/method`` returns, so it cannot decode a reply."""
