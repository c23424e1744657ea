from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class UnsupportedGrpcMethod(GrpcClientError):
    """The method's call kind does not fit the way it was called, and the message names the way.

    A server- or bidirectional-streaming method through ``call()`` (open it
    with ``stream()``), a unary or client-streaming one through ``stream()``
    (``call()`` returns its one reply), a request of one message for a method
    that takes a stream (extend ``StreamingGrpcRequest``) or the reverse.
    """
