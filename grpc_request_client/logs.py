"""Where the library's events go, and at which level a failed call is logged.

The library speaks only when the application asked it to: through structlog once
the application configured structlog, otherwise through the standard ``logging``
module, under ``grpc_request_client``, which has a ``NullHandler`` and nothing else.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

import grpc
import structlog

from grpc_request_client.errors import InvalidGrpcClientSettings
from grpc_request_client.status import SERVER_ERROR_CODES

LOGGER_NAME = "grpc_request_client"
# Python's "Configuring Logging for a Library": a handler that drops every record, so that
# logging's last resort (WARNING and above on stderr) is never used for the library's events
# while the application configured no handler of its own.
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())

# The level of each method structlog's loggers share: the five of the standard library.
_METHODS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}
_LEVELS = {name: level for level, name in _METHODS.items()}
_BARE = re.compile(r"[^\s\"'=]+")


class LibraryLog:
    """The events of one part of the library, under the logger ``grpc_request_client.<part>``.

    Each event is a name (``grpc.call.failed``) and fields. Where it goes is
    decided per event, so a configuration made after the client was built is
    followed: while ``structlog.is_configured()``, through a structlog logger
    of the same name (``logger.<level>(event, **fields)``; its processors and
    level filter decide); otherwise as a standard ``logging`` record, whose
    fields are attributes of the record (``extra``: ``record.code``,
    ``record.trace_id``) and whose message renders them for a person,
    ``grpc.call.failed service=user.UserService method=GetUser code=NOT_FOUND
    ...`` (Django's way: a readable message, structured extras). The message is
    made only when a handler formats the record.

    Ask ``enabled(level)`` before building an event's fields: for a filtered-out
    event it costs about 0.2 microseconds (``structlog.is_configured()``, then
    the logger's cached ``isEnabledFor``), and nothing more is done.
    """

    __slots__ = ("_logger", "_structlog")

    def __init__(self, part: str) -> None:
        name = f"{LOGGER_NAME}.{part}"
        self._logger = logging.getLogger(name)
        self._structlog: Any = structlog.get_logger(name)

    def enabled(self, level: int) -> bool:
        """Whether an event at ``level`` (``logging.DEBUG``...) would be emitted now.

        Binding through structlog's lazy proxy honours a ``structlog.configure``
        made after this module was imported; a structlog logger that cannot
        answer (no ``is_enabled_for``) is taken to log everything.
        """
        if structlog.is_configured():
            asks = getattr(self._structlog.bind(), "is_enabled_for", None)
            return asks is None or bool(asks(level))
        return self._logger.isEnabledFor(level)

    def log(self, level: int, event: str, fields: dict[str, object]) -> None:
        """Emit ``event`` with ``fields`` at ``level``, one of the five standard levels."""
        if structlog.is_configured():
            getattr(self._structlog, _METHODS[level])(event, **fields)
        else:
            self._logger.log(level, _Message(event, fields), extra=fields, stacklevel=2)


class _Message:
    """A record's message, rendered only when a handler formats it: the event, then its fields."""

    __slots__ = ("event", "fields")

    def __init__(self, event: str, fields: dict[str, object]) -> None:
        self.event = event
        self.fields = fields

    def __str__(self) -> str:
        shown = (f"{key}={_shown(value)}" for key, value in self.fields.items())
        return " ".join((self.event, *shown))


def _shown(value: object) -> str:
    """A str as it is when it needs no quotes (no space, quote or ``=``), else its repr."""
    if isinstance(value, str) and _BARE.fullmatch(value):
        return value
    return repr(value)


LevelsInput = Mapping[grpc.StatusCode | str, int | str]
_FAILURES = tuple(code for code in grpc.StatusCode if code is not grpc.StatusCode.OK)
_DEFAULT: dict[grpc.StatusCode, int] = {
    code: logging.WARNING if code in SERVER_ERROR_CODES else logging.INFO for code in _FAILURES
}


class FailureLogLevels:
    """The level of the ``grpc.call.failed`` event for each non-OK status code.

    By default a code that OpenTelemetry's RPC semantic conventions count as an
    error of the *server* (the server span's status, ``docs/rpc/grpc.md``:
    UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
    DATA_LOSS) is a WARNING: the server failed, or could not be reached, and
    someone may have to act. Every other code (NOT_FOUND, INVALID_ARGUMENT,
    ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE, PERMISSION_DENIED,
    UNAUTHENTICATED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED) is the server's
    answer about the request, often an expected one, and is logged at INFO:
    seen in a service logging at INFO, never a warning.

    Built from a mapping of codes to levels that change the default, the rest
    kept: codes as ``grpc.StatusCode`` or their names (``"NOT_FOUND"``, any
    case), levels as ``logging.DEBUG``, ``INFO``, ``WARNING``, ``ERROR``,
    ``CRITICAL`` or their names (``"debug"``). OK is no failure and is refused,
    as is anything else, with ``InvalidGrpcClientSettings`` naming it. Equal
    when they give every code the same level; the repr shows where they differ
    from the default. The environment gives them as ``CODE=level`` pairs
    separated by commas: ``NOT_FOUND=debug,UNAVAILABLE=error``.
    """

    __slots__ = ("_levels",)

    def __init__(self, levels: LevelsInput | None = None, name: str = "failure_log_levels") -> None:
        """Raises ``InvalidGrpcClientSettings`` naming ``name`` for a code or level unusable."""
        if levels is not None and not isinstance(levels, Mapping):
            raise InvalidGrpcClientSettings(
                f"{name} must be a mapping of status codes to log levels, "
                f"such as {{'NOT_FOUND': 'debug'}}, got {type(levels).__name__}"
            )
        chosen = dict(_DEFAULT)
        for code, level in (levels or {}).items():
            chosen[_code(code, name)] = _level(level, name, code)
        self._levels = chosen

    @staticmethod
    def parse(value: object, name: str) -> "FailureLogLevels":
        """The settings' check: ``None`` for the default, a mapping, or one of these."""
        if isinstance(value, FailureLogLevels):
            return value
        return FailureLogLevels(value, name)  # type: ignore[arg-type]  # checked there

    @staticmethod
    def read(raw: str) -> dict[str, str]:
        """``CODE=level,CODE=level`` from an environment variable, as a mapping to parse."""
        pairs = [pair.split("=") for pair in raw.split(",")]
        if not all(len(pair) == 2 for pair in pairs):
            raise ValueError(
                f"must be CODE=level pairs separated by ',', such as NOT_FOUND=debug, got {raw!r}"
            )
        return {code.strip(): level.strip() for code, level in pairs}

    def level(self, code: grpc.StatusCode) -> int:
        """The level of a call that ended with ``code`` (not OK), as a ``logging`` level."""
        return self._levels[code]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FailureLogLevels):
            return NotImplemented
        return self._levels == other._levels

    def __hash__(self) -> int:
        return hash(tuple(self._levels.items()))

    def __repr__(self) -> str:
        changed = {
            code.name: _METHODS[level]
            for code, level in self._levels.items()
            if level != _DEFAULT[code]
        }
        return f"FailureLogLevels({changed!r})"


def _code(code: object, name: str) -> grpc.StatusCode:
    found = code if isinstance(code, grpc.StatusCode) else None
    if isinstance(code, str):
        found = grpc.StatusCode.__members__.get(code.strip().upper())
    if found is None:
        raise InvalidGrpcClientSettings(
            f"{name}: {code!r} is no grpc status code; use a grpc.StatusCode or its name"
        )
    if found is grpc.StatusCode.OK:
        raise InvalidGrpcClientSettings(
            f"{name} cannot hold OK: a success is grpc.call.succeeded, at debug"
        )
    return found


def _level(level: object, name: str, code: object) -> int:
    if type(level) is int and level in _METHODS:
        return level
    if isinstance(level, str) and level.strip().lower() in _LEVELS:
        return _LEVELS[level.strip().lower()]
    raise InvalidGrpcClientSettings(
        f"{name}: the level for {code!r} must be one of {list(_LEVELS)} "
        f"(or logging.DEBUG ... logging.CRITICAL), got {level!r}"
    )
