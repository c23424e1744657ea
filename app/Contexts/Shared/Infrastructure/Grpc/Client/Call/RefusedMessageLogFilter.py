import logging

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)

# Where grpcio's blocking API logs an exception raised by a request iterator.
_GRPCIO_CHANNEL_LOGGER = "grpc._channel"


class RefusedMessageLogFilter(logging.Filter):
    """Drops grpcio's "Exception iterating requests!" record for an item the client refused.

    A blocking client-streaming attempt refuses a bad item in its request's
    messages by raising ``InvalidGrpcMessage`` from the request iterator,
    which grpcio answers by cancelling the call before any half-close (so the
    server never takes a truncated stream for a whole one) and by logging the
    exception with its traceback. The caller gets that same error, raised by
    ``call()``: the record would only say it twice. Every other record passes.
    """

    @classmethod
    def install(cls) -> None:
        """Add one filter to grpcio's channel logger; more calls change nothing."""
        logger = logging.getLogger(_GRPCIO_CHANNEL_LOGGER)
        if not any(isinstance(existing, cls) for existing in logger.filters):
            logger.addFilter(cls())

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, InvalidGrpcMessage)
