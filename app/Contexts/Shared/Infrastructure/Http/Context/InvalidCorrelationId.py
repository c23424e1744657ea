class InvalidCorrelationId(ValueError):
    """Code opened a context with a correlation id that could not travel as gRPC metadata."""

    def __init__(self, correlation_id: object) -> None:
        super().__init__(
            f"correlation id {correlation_id!r} is not 8-128 letters, digits, '.', '_', ':' or '-'"
        )
