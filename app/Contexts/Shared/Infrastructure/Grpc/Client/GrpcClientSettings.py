from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.LoadBalancingPolicy import (
    LoadBalancingPolicy,
)
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


@dataclass(frozen=True, slots=True)
class GrpcClientSettings:
    """Everything a client's channels are built from, checked once at construction.

    A typo in a setting should fail where the client is built, not on the first
    call in production, so ``create()`` accepts the forgiving spellings (a
    compression name, options as a dict) and every field is checked before the
    object is frozen. ``options`` passes anything else straight to grpc, but may
    not contradict a dedicated field.
    """

    target: str
    default_timeout: float = 30.0
    max_send_message_length: int | None = None
    max_receive_message_length: int | None = None
    compression: grpc.Compression | None = None
    options: ChannelOptions = ()
    load_balancing: str | None = None

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
        load_balancing: str | None = None,
    ) -> "GrpcClientSettings":
        return cls(
            target,
            TimeoutSeconds.parse(default_timeout, InvalidGrpcClientSettings, "default_timeout"),
            max_send_message_length,
            max_receive_message_length,
            cls._compression(compression),
            cls._options(options),
            load_balancing=LoadBalancingPolicy.parse(load_balancing),
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
        for option, value in self._limits():
            if value is not None and option in named:
                raise InvalidGrpcClientSettings(f"{option} is set both as a setting and in options")
        LoadBalancingPolicy.apply(self.load_balancing, self.options)

    def channel_options(self) -> ChannelOptions:
        limits = tuple((key, value) for key, value in self._limits() if value is not None)
        return (*LoadBalancingPolicy.apply(self.load_balancing, self.options), *limits)

    def _limits(self) -> tuple[tuple[str, int | None], ...]:
        return (
            (_SEND_LIMIT, self.max_send_message_length),
            (_RECEIVE_LIMIT, self.max_receive_message_length),
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
