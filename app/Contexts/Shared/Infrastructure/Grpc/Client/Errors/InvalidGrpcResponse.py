from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class InvalidGrpcResponse(GrpcClientError, ValueError):
    """A response made by code, not by a call, that could not be one: a bad part, or not a response.

    Raised by ``GrpcResponse(...)`` for a status that is not a ``grpc.StatusCode``
    and the like, and by the client when a ``GrpcCallStage``'s ``answer`` or
    ``finished`` returns something else than a ``GrpcResponse``. Metadata that is
    not ``(key, value)`` pairs is ``InvalidGrpcMetadata``.
    """
