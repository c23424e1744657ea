from app.Contexts.Backoffice.Users.Application.Find.GetUserQuery import GetUserQuery
from app.Contexts.Backoffice.Users.Domain.User import User
from app.Contexts.Backoffice.Users.Domain.UserFinder import UserFinder
from app.Contexts.Backoffice.Users.Domain.UserNotFound import UserNotFound


class GetUserQueryHandler:
    """Answers ``GetUserQuery``, turning "no such user" into the domain's ``UserNotFound``.

    It knows the port only, so it is tested with an in-memory finder and runs
    unchanged whatever transport the adapter uses; remote failures
    (``RemoteServiceUnavailable``, ``RemoteServiceTimeout``...) pass through
    untouched for the caller to map to its own answer.
    """

    def __init__(self, finder: UserFinder) -> None:
        self._finder = finder

    def handle(self, query: GetUserQuery) -> User:
        user = self._finder.find(query.user_id)
        if user is None:
            raise UserNotFound(query.user_id)
        return user
