import re
from collections.abc import Callable
from dataclasses import dataclass

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidBearerToken import (
    InvalidBearerToken,
)

TokenProvider = Callable[[], str]
BearerTokenInput = str | TokenProvider
_USABLE = re.compile(r"[\x21-\x7e]+")
_PREFIX = re.compile(r"bearer\s", re.IGNORECASE)


@dataclass(frozen=True, slots=True, repr=False)
class BearerToken:
    """The token sent as ``authorization: Bearer <token>``: fixed, or asked for on every call.

    A provider lets a token rotate without rebuilding the client and its
    connection. It is called once per call, on grpc's own threads and maybe on
    several at once, so it should hand back a token it already holds rather
    than fetch one. A fixed token is checked here, a provider's answer on each
    call; neither is ever shown in a repr or an error message. Equal tokens
    make equal settings; providers are equal only to themselves.
    """

    source: BearerTokenInput

    def __post_init__(self) -> None:
        if isinstance(self.source, str):
            self._check(self.source, "bearer_token")
        elif not callable(self.source):
            raise InvalidBearerToken(
                "bearer_token must be a str or a zero-argument callable returning one, "
                f"got {type(self.source).__name__}"
            )

    def current(self) -> str:
        if isinstance(self.source, str):
            return self.source
        token = self.source()
        self._check(token, "the bearer token provider's answer")
        return token

    @staticmethod
    def _check(token: object, what: str) -> None:
        if not isinstance(token, str):
            raise InvalidBearerToken(f"{what} must be a str, got {type(token).__name__}")
        if _PREFIX.match(token):
            raise InvalidBearerToken(f"{what} starts with 'Bearer ': give the token alone")
        if not _USABLE.fullmatch(token):
            raise InvalidBearerToken(f"{what} must be non-empty printable ASCII without spaces")

    def __repr__(self) -> str:
        kind = "fixed" if isinstance(self.source, str) else "provider"
        return f"<BearerToken {kind} [redacted]>"
