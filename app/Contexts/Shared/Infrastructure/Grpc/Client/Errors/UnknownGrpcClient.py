from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class UnknownGrpcClient(GrpcClientError, LookupError):
    """The client registry has no service of that name; the message lists the names it has."""
