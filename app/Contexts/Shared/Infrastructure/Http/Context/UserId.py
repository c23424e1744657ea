import re
from typing import TypeGuard

_ACCEPTED = re.compile(r"[A-Za-z0-9._:@-]{1,128}")


class UserId:
    """Which user ids from outside are kept: 1-128 letters, digits, '.', '_', ':', '@' or '-'.

    A user id is passed on to every service the request reaches and written to
    their logs, so it must be a printable ASCII metadata value that cannot forge
    a log field or a header. The rule admits numeric and UUID ids, usernames,
    emails without '+', and ``issuer:subject`` pairs; anything else is refused
    rather than repaired, since a repaired id would name someone else.
    """

    @staticmethod
    def is_valid(candidate: object) -> TypeGuard[str]:
        return isinstance(candidate, str) and _ACCEPTED.fullmatch(candidate) is not None
