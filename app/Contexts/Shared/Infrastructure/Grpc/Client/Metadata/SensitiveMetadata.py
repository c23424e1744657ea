from collections.abc import Iterable

_EXACT = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_FRAGMENTS = (
    "auth",
    "token",
    "secret",
    "password",
    "passwd",
    "cookie",
    "session",
    "api-key",
    "apikey",
    "credential",
    "signature",
)
REDACTED = "[redacted]"


class SensitiveMetadata:
    """Decides which metadata values may be shown in logs and reprs.

    Errs towards hiding: a key is sensitive if it is a known credential header or
    merely contains a fragment such as ``token`` or ``auth``, because a hidden
    debug value costs a minute and a leaked token costs an incident.
    """

    @staticmethod
    def is_sensitive(key: str) -> bool:
        lowered = key.lower()
        return lowered in _EXACT or any(fragment in lowered for fragment in _FRAGMENTS)

    @staticmethod
    def redact(pairs: Iterable[tuple[str, object]]) -> tuple[tuple[str, object], ...]:
        return tuple(
            (key, REDACTED if SensitiveMetadata.is_sensitive(key) else value)
            for key, value in pairs
        )
