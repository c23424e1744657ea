from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Real

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)

ChannelOptionValue = int | float | str | bool
ChannelOptions = tuple[tuple[str, ChannelOptionValue], ...]
ChannelOptionsInput = Mapping[str, ChannelOptionValue] | Iterable[tuple[str, ChannelOptionValue]]
_COMPRESSION_NAMES = {
    "none": grpc.Compression.NoCompression,
    "gzip": grpc.Compression.Gzip,
    "deflate": grpc.Compression.Deflate,
}
_SEND_LIMIT = "grpc.max_send_message_length"
_RECEIVE_LIMIT = "grpc.max_receive_message_length"
_RECONNECT_BACKOFF = "grpc.max_reconnect_backoff_ms"
DEFAULT_MAX_RECONNECT_BACKOFF = 5.0
# grpc takes the backoff as a C int of milliseconds: from 1 ms to a little under 25 days.
_BACKOFF_RANGE = (0.001, (2**31 - 1) / 1000)


@dataclass(frozen=True, slots=True)
class GrpcClientSettings:
    """Everything a client's channels are built from, checked once at construction.

    A typo in a setting should fail where the client is built, not on the first
    call in production, so ``create()`` accepts the forgiving spellings (a
    compression name, options as a dict) and every field is checked before the
    object is frozen. ``options`` passes anything else straight to grpc, but may
    not contradict a dedicated field.

    ``max_reconnect_backoff`` caps grpc's wait between attempts to reconnect to a
    server that went away. Until its next attempt every call fails at once with
    UNAVAILABLE, and grpc's own cap is 120 s, so a client can stay "down" for up
    to two minutes after its restarted server is back (measured against a real
    restart: 6-8 s after a 10 s outage, 12-16 s after a 30 s one). Between the
    services of one deployment that is all loss, so the default cap is 5 s:
    back within about 6 s (5 s plus grpc's 20% jitter), while attempts still
    back off (1, 1.6, 2.6, 4.1 s...). ``None`` keeps grpc's own schedule.
    """

    target: str
    default_timeout: float = 30.0
    max_send_message_length: int | None = None
    max_receive_message_length: int | None = None
    compression: grpc.Compression | None = None
    options: ChannelOptions = ()
    max_reconnect_backoff: float | None = DEFAULT_MAX_RECONNECT_BACKOFF

    @classmethod
    def create(
        cls,
        target: str,
        *,
        default_timeout: float = 30.0,
        max_send_message_length: int | None = None,
        max_receive_message_length: int | None = None,
        compression: grpc.Compression | str | None = None,
        options: ChannelOptionsInput = (),
        max_reconnect_backoff: float | None = DEFAULT_MAX_RECONNECT_BACKOFF,
    ) -> "GrpcClientSettings":
        return cls(
            target,
            TimeoutSeconds.parse(default_timeout, InvalidGrpcClientSettings, "default_timeout"),
            max_send_message_length,
            max_receive_message_length,
            cls._compression(compression),
            cls._options(options),
            cls._backoff(max_reconnect_backoff),
        )

    def __post_init__(self) -> None:
        if (
            not isinstance(self.target, str)
            or not self.target
            or any(c.isspace() for c in self.target)
        ):
            raise InvalidGrpcClientSettings(
                f"target must be an address such as 'host:50051', got {self.target!r}"
            )
        for name in ("max_send_message_length", "max_receive_message_length"):
            value = getattr(self, name)
            if not (value is None or (type(value) is int and (value > 0 or value == -1))):
                raise InvalidGrpcClientSettings(
                    f"{name} must be a positive int, -1 for no limit, or None"
                )
        named = {key for key, _ in self.options}
        for option, setting, value in self._dedicated():
            if value is not None and option in named:
                raise InvalidGrpcClientSettings(
                    f"{option} is set both as a setting and in options; "
                    f"use {setting}= alone, or {setting}=None and the option"
                )

    def channel_options(self) -> ChannelOptions:
        limits = tuple((key, value) for key, _, value in self._dedicated() if value is not None)
        return (*self.options, *limits)

    def _dedicated(self) -> tuple[tuple[str, str, int | None], ...]:
        backoff = self.max_reconnect_backoff
        return (
            (_SEND_LIMIT, "max_send_message_length", self.max_send_message_length),
            (_RECEIVE_LIMIT, "max_receive_message_length", self.max_receive_message_length),
            (
                _RECONNECT_BACKOFF,
                "max_reconnect_backoff",
                None if backoff is None else round(backoff * 1000),
            ),
        )

    @staticmethod
    def _compression(value: grpc.Compression | str | None) -> grpc.Compression | None:
        if value is None or isinstance(value, grpc.Compression):
            return value
        if isinstance(value, str) and value.lower() in _COMPRESSION_NAMES:
            return _COMPRESSION_NAMES[value.lower()]
        raise InvalidGrpcClientSettings(
            f"compression must be a grpc.Compression or one of {sorted(_COMPRESSION_NAMES)}, "
            f"got {value!r}"
        )

    @staticmethod
    def _backoff(value: float | None) -> float | None:
        low, high = _BACKOFF_RANGE
        if value is None:
            return None
        if isinstance(value, Real) and not isinstance(value, bool) and low <= value <= high:
            return float(value)
        raise InvalidGrpcClientSettings(
            f"max_reconnect_backoff must be None (grpc's own schedule) or seconds from {low} "
            f"to {high:.0f}, got {value!r}"
        )

    @staticmethod
    def _options(value: ChannelOptionsInput) -> ChannelOptions:
        pairs = value.items() if isinstance(value, Mapping) else value
        try:
            options = tuple((key, option) for key, option in pairs)
        except (TypeError, ValueError) as error:
            raise InvalidGrpcClientSettings(
                "options must be a mapping or (name, value) pairs"
            ) from error
        for key, option in options:
            if not isinstance(key, str) or not isinstance(option, ChannelOptionValue):
                raise InvalidGrpcClientSettings(
                    f"channel option {key!r} needs a str name and an int, float, str or bool value"
                )
        return options
