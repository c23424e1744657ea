from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from numbers import Real

import grpc

from app.Contexts.Shared.Infrastructure.Discovery.GrpcTarget import GrpcTarget
from app.Contexts.Shared.Infrastructure.Grpc.Client.BulkheadPolicy import BulkheadPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidBearerToken import (
    InvalidBearerToken,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.SensitiveMetadata import (
    SensitiveMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.CompressionChoice import (
    CompressionChoice,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.KeepaliveSettings import (
    KeepaliveSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.LoadBalancingPolicy import (
    LoadBalancingPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerToken import (
    BearerToken,
    BearerTokenInput,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.TlsSettings import TlsSettings

ChannelOptionValue = int | float | str | bool
ChannelOptions = tuple[tuple[str, ChannelOptionValue], ...]
ChannelOptionsInput = Mapping[str, ChannelOptionValue] | Iterable[tuple[str, ChannelOptionValue]]
_RETRIES = "grpc.enable_retries"
# Channel defaults grpc lets beat what a call asks for; the client applies them per call.
_PER_CALL_OPTIONS = {
    "grpc.default_compression_algorithm": "compression=",
    "grpc.default_compression_level": "compression=",
}
_SEND_LIMIT = "grpc.max_send_message_length"
_RECEIVE_LIMIT = "grpc.max_receive_message_length"
_RECONNECT_BACKOFF = "grpc.max_reconnect_backoff_ms"
DEFAULT_MAX_RECONNECT_BACKOFF = 5.0
# grpc takes the backoff as a C int of milliseconds: from 1 ms to a little under 25 days.
_BACKOFF_RANGE = (0.001, (2**31 - 1) / 1000)


@dataclass(frozen=True, slots=True, repr=False)
class GrpcClientSettings:
    """Everything a client's channels are built from, checked once at construction.

    A typo in a setting should fail where the client is built, not on the first
    call in production, so ``create()`` accepts the forgiving spellings (a
    compression name, options as a dict) and every field is checked before the
    object is frozen. ``options`` passes anything else straight to grpc, but may
    not contradict a dedicated field. ``target`` takes the forms of
    ``GrpcTarget`` (``host:port``, ``dns:///host:port``, ``unix:path``...).

    ``max_reconnect_backoff`` caps grpc's wait between attempts to reconnect to a
    server that went away. Until its next attempt every call fails at once with
    UNAVAILABLE, and grpc's own cap is 120 s, so a client can stay "down" for up
    to two minutes after its restarted server is back (measured against a real
    restart: 6-8 s after a 10 s outage, 12-16 s after 30 s, 33 s after 150 s).
    Between the services of one deployment that is all loss, so the default cap
    is 5 s: back within about 6 s (5 s plus grpc's 20% jitter), while attempts
    still back off (1, 1.6, 2.6, 4.1 s...). ``None`` keeps grpc's own schedule.

    ``wait_for_ready`` is every call's default for grpc's wait-for-ready (a
    request's ``wait_for_ready()`` overrides it): ``True`` makes a call wait,
    within its deadline, for a server that cannot be reached yet instead of
    failing at once with UNAVAILABLE. ``compression`` is applied per call, so a
    request's own ``compression()``, ``"none"`` included, wins over it.

    The repr shows every field, but the value of an option whose name is
    sensitive by ``SensitiveMetadata``'s rule as ``[redacted]``; the bearer
    token and the TLS key hide themselves.
    """

    target: str
    default_timeout: float = 30.0
    max_send_message_length: int | None = None
    max_receive_message_length: int | None = None
    compression: grpc.Compression | None = None
    options: ChannelOptions = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    circuit_breaker: CircuitBreakerPolicy = field(default_factory=CircuitBreakerPolicy)
    bulkhead: BulkheadPolicy = field(default_factory=BulkheadPolicy)
    tls: TlsSettings | None = None
    bearer_token: BearerToken | None = None
    keepalive: KeepaliveSettings | None = None
    load_balancing: str | None = None
    max_reconnect_backoff: float | None = DEFAULT_MAX_RECONNECT_BACKOFF
    wait_for_ready: bool = False

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
        retry: RetryPolicy | None = None,
        circuit_breaker: CircuitBreakerPolicy | None = None,
        bulkhead: BulkheadPolicy | None = None,
        tls: TlsSettings | None = None,
        bearer_token: BearerTokenInput | None = None,
        keepalive: KeepaliveSettings | None = None,
        load_balancing: str | None = None,
        max_reconnect_backoff: float | None = DEFAULT_MAX_RECONNECT_BACKOFF,
        wait_for_ready: bool = False,
    ) -> "GrpcClientSettings":
        return cls(
            target,
            TimeoutSeconds.parse(default_timeout, InvalidGrpcClientSettings, "default_timeout"),
            max_send_message_length,
            max_receive_message_length,
            CompressionChoice.parse(compression, InvalidGrpcClientSettings, "compression"),
            cls._options(options),
            retry or RetryPolicy(),
            circuit_breaker or CircuitBreakerPolicy(),
            bulkhead or BulkheadPolicy(),
            tls=tls,
            bearer_token=None if bearer_token is None else BearerToken(bearer_token),
            keepalive=keepalive,
            load_balancing=LoadBalancingPolicy.parse(load_balancing),
            max_reconnect_backoff=cls._backoff(max_reconnect_backoff),
            wait_for_ready=wait_for_ready,
        )

    def __post_init__(self) -> None:
        GrpcTarget.parse(self.target, "target", InvalidGrpcClientSettings)
        for name in ("max_send_message_length", "max_receive_message_length"):
            value = getattr(self, name)
            if not (value is None or (type(value) is int and (value > 0 or value == -1))):
                raise InvalidGrpcClientSettings(
                    f"{name} must be a positive int, -1 for no limit, or None"
                )
        for name, kind in (
            ("retry", RetryPolicy),
            ("circuit_breaker", CircuitBreakerPolicy),
            ("bulkhead", BulkheadPolicy),
        ):
            if not isinstance(getattr(self, name), kind):
                raise InvalidGrpcClientSettings(f"{name} must be a {kind.__name__}")
        named = {key for key, _ in self.options}
        if _RETRIES in named:
            raise InvalidGrpcClientSettings(
                f"{_RETRIES} is managed by the client: retries happen in RetryPolicy only"
            )
        for option in named & _PER_CALL_OPTIONS.keys():
            raise InvalidGrpcClientSettings(
                f"{option} would beat what each request asks for; use "
                f"{_PER_CALL_OPTIONS[option]} (a request's compression() then still wins)"
            )
        for option, setting, value in self._limits():
            if value is not None and option in named:
                raise InvalidGrpcClientSettings(
                    f"{option} is set both as a setting and in options; "
                    f"use {setting}= alone, or {setting}=None and the option"
                )
        self._check_transport(named)
        self._check_parsed()
        LoadBalancingPolicy.apply(self.load_balancing, self.options)

    def __repr__(self) -> str:
        shown = {setting.name: getattr(self, setting.name) for setting in fields(self)}
        shown["options"] = SensitiveMetadata.redact(self.options)
        return f"GrpcClientSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def channel_options(self) -> ChannelOptions:
        """grpc-core's own retries are off, so they never multiply RetryPolicy's attempts."""
        limits = tuple((key, value) for key, _, value in self._limits() if value is not None)
        return (
            *LoadBalancingPolicy.apply(self.load_balancing, self.options),
            *limits,
            *self._transport_options(),
            (_RETRIES, 0),
        )

    def _check_transport(self, named: set[str]) -> None:
        """Refuse a bearer token without TLS here, once, rather than on every call.

        grpc never sends call credentials over a plaintext channel: each call
        would fail UNAUTHENTICATED, and a token in plaintext could be read on
        the way anyway.
        """
        for name, kind in (
            ("tls", TlsSettings),
            ("bearer_token", BearerToken),
            ("keepalive", KeepaliveSettings),
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise InvalidGrpcClientSettings(
                    f"{name} must be a {kind.__name__} or None, got {type(value).__name__}"
                )
        if self.bearer_token is not None and self.tls is None:
            raise InvalidBearerToken(
                "bearer_token needs tls=TlsSettings(...): grpc sends call credentials only "
                "over a secure channel, and a token sent in plaintext can be read on the way"
            )
        for option, _ in self._transport_options():
            if option in named:
                raise InvalidGrpcClientSettings(f"{option} is set both as a setting and in options")

    def _check_parsed(self) -> None:
        """The fields ``create()`` parses, checked again for settings made another way.

        ``dataclasses.replace`` (how environment overrides apply) and the plain
        constructor skip ``create()``; a client trusts any settings it is handed.
        """
        TimeoutSeconds.parse(self.default_timeout, InvalidGrpcClientSettings, "default_timeout")
        if self.compression is not None and not isinstance(self.compression, grpc.Compression):
            raise InvalidGrpcClientSettings(
                f"compression must be a grpc.Compression or None, got {self.compression!r}; "
                "create() also takes its name"
            )
        self._backoff(self.max_reconnect_backoff)
        if type(self.wait_for_ready) is not bool:
            raise InvalidGrpcClientSettings(
                f"wait_for_ready must be a bool, got {self.wait_for_ready!r}"
            )

    def _transport_options(self) -> ChannelOptions:
        tls = () if self.tls is None else self.tls.channel_options()
        keepalive = () if self.keepalive is None else self.keepalive.channel_options()
        return (*tls, *keepalive)

    def _limits(self) -> tuple[tuple[str, str, int | None], ...]:
        """Each setting that becomes a channel option: the option, the setting, its value."""
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
