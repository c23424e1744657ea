from abc import ABC, abstractmethod

from app.Contexts.Backoffice.Users.Domain.User import User


class UserFinder(ABC):
    """The port through which this context looks users up, wherever they live.

    ``None`` means the user does not exist: an expected answer, not a failure.
    When the lookup itself fails an implementation raises a
    ``RemoteServiceError`` (unavailable, timeout...), so callers can tell "no
    such user" from "could not ask".
    """

    @abstractmethod
    def find(self, user_id: str) -> User | None: ...
