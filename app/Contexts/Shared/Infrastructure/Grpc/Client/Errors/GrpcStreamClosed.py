from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class GrpcStreamClosed(GrpcClientError, RuntimeError):
    """A stream was used in a way its state no longer allows; the message says what was not done.

    Writing after ``done_writing()``, after the stream ended or on a stream
    whose request sends its own ``messages()``; reading a stream the caller
    closed (a loop left early), which would otherwise look like one that ended.
    Nothing was sent.
    """
