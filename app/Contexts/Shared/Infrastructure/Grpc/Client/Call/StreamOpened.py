import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse


class StreamOpened:
    """The answer to a stream's ``SEND`` step once its first reply message arrived.

    A ``GrpcResponse`` that never leaves the engine, so ``CallEngine`` tells it
    apart by identity on the path a failed attempt takes, which unary calls
    that succeed never walk: they pay nothing for streams.
    """

    ANSWER = GrpcResponse(grpc.StatusCode.UNKNOWN, details="the stream's first reply arrived")
