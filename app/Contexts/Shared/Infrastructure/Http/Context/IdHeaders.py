class IdHeaders:
    """The HTTP headers the request's ids travel in, spelled as they are sent.

    ``X-Consumer-Custom-ID`` is not ours: Kong's JWT plugin sets it to the
    authenticated consumer's custom id, so behind Kong the user id arrives there
    when the caller did not send ``X-User-Id``.
    """

    TRACE_ID = "X-Trace-ID"
    USER_ID = "X-User-Id"
    CONSUMER_CUSTOM_ID = "X-Consumer-Custom-ID"
    CORRELATION_ID = "X-Correlation-Id"
