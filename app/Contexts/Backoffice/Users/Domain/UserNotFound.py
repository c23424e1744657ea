class UserNotFound(Exception):
    """A user that was required does not exist: the caller asked for the wrong id."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"user {user_id!r} not found")
