class InvalidTraceId(ValueError):
    """Code opened a context with a trace id that could not travel as gRPC metadata."""

    def __init__(self, trace_id: object) -> None:
        super().__init__(
            f"trace id {trace_id!r} cannot travel as gRPC metadata: an id given in code "
            "must be a non-empty str of printable ASCII, with no space at either end"
        )
