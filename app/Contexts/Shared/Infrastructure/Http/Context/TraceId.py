import os
import re
from typing import TypeGuard

_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
# What uuid.uuid4() does to 16 random bytes: RFC 4122 variant bits, version 4.
_CLEARED = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_VERSION_4 = (0x8000 << 48) | (4 << 76)


class TraceId:
    """How trace ids are made, and which ones from outside are worth keeping.

    An id from an untrusted header ends up in every log line and every outgoing
    call, so only ids that look like ids (8-128 url-safe characters: UUIDs, W3C
    hex ids, ULIDs) are kept; anything else is replaced rather than repaired.
    Ids given in code are trusted further (``SendableId``).
    """

    @staticmethod
    def generate() -> str:
        """A UUID4 in hex, made without ``uuid.UUID``, which costs twice as much on every call."""
        return f"{int.from_bytes(os.urandom(16)) & _CLEARED | _VERSION_4:032x}"

    @staticmethod
    def is_valid(candidate: object) -> TypeGuard[str]:
        return isinstance(candidate, str) and _ACCEPTED.fullmatch(candidate) is not None
