from collections.abc import Callable
from numbers import Real
from typing import Any

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.SettingDeclaration import Parse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)

NamedParse = Callable[[object, type[Exception], str], Any]


class SettingCheck:
    """The one dialect of the settings' checks: each returns a ``parse`` for a declaration.

    Every refusal is an ``InvalidGrpcClientSettings`` that names the field and
    quotes the value. ``True`` and ``False`` are ints to Python but never a
    count or a number of seconds, so no number check takes them.
    """

    @staticmethod
    def count(least: int, most: int | None = None) -> Parse:
        """A whole number (an ``int``) from ``least`` to ``most`` (unbounded when ``None``)."""
        span = f"of at least {least}" if most is None else f"from {least} to {most}"

        def parse(value: object, name: str) -> int:
            if type(value) is int and least <= value and (most is None or value <= most):
                return value
            raise InvalidGrpcClientSettings(f"{name} must be an int {span}, got {value!r}")

        return parse

    @staticmethod
    def number(accept: Callable[[float], bool], says: str) -> Parse:
        """A real number, as a float, that ``accept`` takes; ``says`` what it must be."""

        def parse(value: object, name: str) -> float:
            number = _as_float(value)
            if number is not None and accept(number):
                return number
            raise InvalidGrpcClientSettings(f"{name} must be {says}, got {value!r}")

        return parse

    @staticmethod
    def text(accept: Callable[[str], bool], says: str) -> Parse:
        """A non-empty ``str`` that ``accept`` takes; ``says`` what it must be."""

        def parse(value: object, name: str) -> str:
            if isinstance(value, str) and value and accept(value):
                return value
            raise InvalidGrpcClientSettings(f"{name} must be {says}, got {value!r}")

        return parse

    @staticmethod
    def named(parse: NamedParse) -> Parse:
        """A check of the ``parse(value, error, what)`` form shared with requests."""
        return lambda value, name: parse(value, InvalidGrpcClientSettings, name)

    @staticmethod
    def optional(parse: Parse) -> Parse:
        """``None`` (the setting's "not set"), or what ``parse`` takes."""
        return lambda value, name: None if value is None else parse(value, name)

    @staticmethod
    def flag(value: object, name: str) -> bool:
        if type(value) is bool:
            return value
        raise InvalidGrpcClientSettings(f"{name} must be a bool (True or False), got {value!r}")

    @staticmethod
    def choice(*choices: str) -> Parse:
        def parse(value: object, name: str) -> str:
            if isinstance(value, str) and value in choices:
                return value
            listed = " or ".join(repr(choice) for choice in choices)
            raise InvalidGrpcClientSettings(f"{name} must be {listed}, got {value!r}")

        return parse

    @staticmethod
    def status_codes(value: object, name: str) -> frozenset[grpc.StatusCode]:
        """A frozenset of grpc status codes, without OK: OK is a success, never a failure."""
        if not isinstance(value, frozenset) or not all(
            isinstance(code, grpc.StatusCode) for code in value
        ):
            raise InvalidGrpcClientSettings(
                f"{name} must be a frozenset of grpc.StatusCode, got {value!r}"
            )
        if grpc.StatusCode.OK in value:
            raise InvalidGrpcClientSettings(f"{name} cannot hold OK: OK is a success")
        return value

    @staticmethod
    def policy(kind: type) -> Parse:
        """An instance of ``kind``; ``None`` for ``kind()``, its defaults."""

        def parse(value: object, name: str) -> object:
            if value is None:
                return kind()
            if isinstance(value, kind):
                return value
            raise InvalidGrpcClientSettings(
                f"{name} must be a {kind.__name__} (None for its defaults), "
                f"got {type(value).__name__}"
            )

        return parse

    @staticmethod
    def instance(kind: type) -> Parse:
        """An instance of ``kind``, or ``None`` for none at all."""

        def parse(value: object, name: str) -> object:
            if value is None or isinstance(value, kind):
                return value
            raise InvalidGrpcClientSettings(
                f"{name} must be a {kind.__name__} or None, got {type(value).__name__}"
            )

        return parse


def _as_float(value: object) -> float | None:
    """``value`` as a float, or ``None`` for a bool, a non-number or one no float holds.

    ``float(10**400)`` raises ``OverflowError`` and ``float(Decimal("sNaN"))``
    ``ValueError``: either is a setting to refuse by name, not an error to leak.
    """
    if not isinstance(value, Real) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (OverflowError, ValueError):
        return None
