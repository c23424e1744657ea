from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GetUserQuery:
    """Asks for one user by id; a value so it can be logged, queued or compared."""

    user_id: str
