class InvalidUserId(ValueError):
    """Code opened a context with a user id that could not travel as gRPC metadata."""

    def __init__(self, user_id: object) -> None:
        super().__init__(
            f"user id {user_id!r} is not 1-128 letters, digits, '.', '_', ':', '@' or '-'"
        )
