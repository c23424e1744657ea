import re
import uuid

_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


class TraceId:
    """How trace ids are made, and which ones from outside are worth keeping.

    An id from an untrusted header ends up in every log line and every outgoing
    call, so only ids that look like ids (8-128 url-safe characters: UUIDs, W3C
    hex ids, ULIDs) are kept; anything else is replaced rather than repaired.
    """

    @staticmethod
    def generate() -> str:
        return uuid.uuid4().hex

    @staticmethod
    def is_valid(candidate: object) -> bool:
        return isinstance(candidate, str) and _ACCEPTED.fullmatch(candidate) is not None
