class InvalidCorrelationId(ValueError):
    """Code opened a context with a correlation id that could not travel as gRPC metadata."""

    def __init__(self, correlation_id: object) -> None:
        super().__init__(
            f"correlation id {correlation_id!r} cannot travel as gRPC metadata: an id given "
            "in code must be a non-empty str of printable ASCII, with no space at either end"
        )
