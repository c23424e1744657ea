from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId


class RequestId:
    """Names one logical call, sent as ``request-id``: a UUID4 in hex, fresh for every call.

    Made once per call, before its first attempt, and sent unchanged on every
    retry of it: it identifies the call the caller made, not each trip over the
    wire, so a server that sees the same request id twice knows it is a retry
    (and can answer it from what it did the first time). How many attempts a
    call took is in its log event.
    """

    @staticmethod
    def generate() -> str:
        return TraceId.generate()
