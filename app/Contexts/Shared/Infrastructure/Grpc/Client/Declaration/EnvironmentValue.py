from collections.abc import Callable
from typing import TypeVar

import grpc

_T = TypeVar("_T")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NONE = "none"


class EnvironmentValue:
    """Reads the text of one variable as the value a setting takes.

    A ``ValueError`` says what the text should have been and quotes it; none
    of these reads a secret, whose own checks never repeat it.
    """

    @staticmethod
    def text(raw: str) -> str:
        return raw

    @staticmethod
    def integer(raw: str) -> int:
        return EnvironmentValue._converted(int, raw, "a whole number")

    @staticmethod
    def number(raw: str) -> float:
        return EnvironmentValue._converted(float, raw, "a number")

    @staticmethod
    def boolean(raw: str) -> bool:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(f"must be one of {sorted(_TRUE)} or {sorted(_FALSE)}, got {raw!r}")

    @staticmethod
    def status_codes(raw: str) -> frozenset[grpc.StatusCode]:
        """Comma-separated names (``UNAVAILABLE,DEADLINE_EXCEEDED``); ``none`` for no code."""
        if raw.lower() == _NONE:
            return frozenset()
        names = [name.strip().upper() for name in raw.split(",")]
        unknown = [name for name in names if name not in grpc.StatusCode.__members__]
        if unknown:
            raise ValueError(f"must be grpc status code names separated by ',', got {raw!r}")
        return frozenset(grpc.StatusCode[name] for name in names)

    @staticmethod
    def pem(raw: str) -> bytes | str:
        """PEM text itself (as secrets are often handed to a container), or a file's path."""
        return raw.encode() if "-----BEGIN" in raw else raw

    @staticmethod
    def _converted(convert: Callable[[str], _T], raw: str, what: str) -> _T:
        """Python's own message names its function (``int()``), not what the variable wants."""
        try:
            return convert(raw)
        except ValueError:
            raise ValueError(f"must be {what}, got {raw!r}") from None

    @staticmethod
    def optional(read: Callable[[str], _T]) -> Callable[[str], _T | None]:
        """``read``, or ``None`` for the text ``none``: the setting's own "not set"."""

        def read_optional(raw: str) -> _T | None:
            return None if raw.lower() == _NONE else read(raw)

        return read_optional
