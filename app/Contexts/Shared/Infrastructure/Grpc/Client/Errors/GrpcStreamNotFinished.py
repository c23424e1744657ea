from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class GrpcStreamNotFinished(GrpcClientError, RuntimeError):
    """A stream's final status was asked for before the stream ended.

    Status, details and trailing metadata exist once the last message has been
    read (or the stream was closed); initial metadata once the first message
    has arrived. Reading on to the end, or leaving the ``with`` block, settles it.
    """
