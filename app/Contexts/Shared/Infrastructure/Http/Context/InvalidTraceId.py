class InvalidTraceId(ValueError):
    """Code opened a context with a trace id that could not travel as gRPC metadata."""

    def __init__(self, trace_id: object) -> None:
        super().__init__(
            f"trace id {trace_id!r} is not 8-128 letters, digits, '.', '_', ':' or '-'"
        )
