"""``GrpcClientSettings``: every client option, declared once, checked at construction."""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Unpack, cast

import grpc

from grpc_request_client.client_options import GrpcClientOptions
from grpc_request_client.declaration import DeclaredSettings
from grpc_request_client.declaration import EnvironmentValue as Value
from grpc_request_client.declaration import SettingCheck as Check
from grpc_request_client.declaration import SettingDeclaration as Setting
from grpc_request_client.discovery import GrpcTarget
from grpc_request_client.errors import InvalidBearerToken, InvalidGrpcClientSettings
from grpc_request_client.logs import FailureLogLevels, LevelsInput
from grpc_request_client.metadata import SensitiveMetadata, SentIds
from grpc_request_client.options import (
    CompressionChoice,
    KeepaliveSettings,
    LoadBalancingPolicy,
    TimeoutSeconds,
)
from grpc_request_client.policies import BulkheadPolicy, CircuitBreakerPolicy, RetryPolicy
from grpc_request_client.security import BearerToken, BearerTokenInput, TlsSettings

ChannelOptionValue = int | float | str | bool
ChannelOptions = tuple[tuple[str, ChannelOptionValue], ...]
ChannelOptionsInput = Mapping[str, ChannelOptionValue] | Iterable[tuple[str, ChannelOptionValue]]
_RETRIES = "grpc.enable_retries"
# Channel defaults grpc lets beat what a call asks for; the client applies them per call.
_PER_CALL_OPTIONS = {
    "grpc.default_compression_algorithm": "compression=",
    "grpc.default_compression_level": "compression=",
}
# grpc takes the backoff as a C int of milliseconds: from 1 ms to a little under 25 days.
_BACKOFF_RANGE = (0.001, (2**31 - 1) / 1000)
_BACKOFF = Check.number(
    lambda seconds: _BACKOFF_RANGE[0] <= seconds <= _BACKOFF_RANGE[1],
    f"None (grpc's own schedule) or seconds from {_BACKOFF_RANGE[0]} to {_BACKOFF_RANGE[1]:.0f}",
)
_OPTIONAL_INT = Value.optional(Value.integer)


def _target(value: object, name: str) -> str:
    return GrpcTarget.parse(value, name, InvalidGrpcClientSettings)


def _message_length(value: object, name: str) -> int | None:
    if value is None or (type(value) is int and (value > 0 or value == -1)):
        return value
    raise InvalidGrpcClientSettings(
        f"{name} must be a positive int, -1 for no limit, or None, got {value!r}"
    )


def _options(value: object, name: str) -> ChannelOptions:
    pairs = value.items() if isinstance(value, Mapping) else value
    unusable = InvalidGrpcClientSettings(f"{name} must be a mapping or (name, value) pairs")
    if not isinstance(pairs, Iterable):
        raise unusable
    try:
        options = tuple((key, option) for key, option in pairs)
    except (TypeError, ValueError) as error:
        raise unusable from error
    for key, option in options:
        if not isinstance(key, str) or not isinstance(option, ChannelOptionValue):
            raise InvalidGrpcClientSettings(
                f"channel option {key!r} needs a str name and an int, float, str or bool value"
            )
    return options


def _bearer_token(value: object, name: str) -> BearerToken | None:
    if value is None or isinstance(value, BearerToken):
        return value
    return BearerToken(value)  # type: ignore[arg-type]  # BearerToken checks what it is given


def _load_balancing(value: object, name: str) -> str | None:
    return LoadBalancingPolicy.parse(value)


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True, slots=True, repr=False)
class GrpcClientSettings:
    """Everything a client's channels are built from, checked once at construction.

    A typo in a setting should fail where the client is built, not on the first
    call in production, so every field is checked before the object is frozen,
    however it is made: ``create()``, the plain constructor and
    ``dataclasses.replace`` (how environment overrides apply) all run each
    field's check, which also takes the forgiving spellings (a compression
    name, options as a dict, a bearer token as a str, ``None`` for a default
    policy) and stores the canonical value. A name that is no option is
    refused by ``create()`` (and so ``GrpcClient``) with
    ``InvalidGrpcClientSettings`` naming the closest option; the plain
    constructor and ``replace`` raise Python's own ``TypeError`` for it.

    This class is the one declaration of the client's options: each field
    carries its type, its default, its check, its environment variable and the
    channel option it becomes (``SettingDeclaration``), and ``GrpcClient``,
    ``create()``, ``FakeGrpcClient``, the registry and the environment
    overrides all read them from here, so an option is added by adding a field.
    For mypy, ``GrpcClientOptions`` (the keywords' ``TypedDict``) is generated
    from these fields: run ``make options`` after adding or changing one.

    ``options`` passes anything else straight to grpc, but may not contradict
    a dedicated field. ``target`` takes the forms of
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

    ``sent_ids`` names the ids sent as metadata on every call (``SentIds``: by
    default the request context's trace, user and correlation ids, when there
    is a context; ``"request_id"`` adds a fresh id per call).
    ``failure_log_levels`` maps status codes to the level their
    ``grpc.call.failed`` event is logged at (``FailureLogLevels``: WARNING for
    the server's failures, INFO for its answers about the request, unless
    changed here).

    The repr shows every field, but the value of an option whose name is
    sensitive by ``SensitiveMetadata``'s rule as ``[redacted]``; the bearer
    token and the TLS key hide themselves.
    """

    target: str = field(metadata=Setting.meta(_target, env="TARGET", read=Value.text))
    default_timeout: float = field(
        default=30.0,
        metadata=Setting.meta(Check.named(TimeoutSeconds.parse), env="TIMEOUT", read=Value.number),
    )
    max_send_message_length: int | None = field(
        default=None,
        metadata=Setting.meta(
            _message_length,
            env="MAX_SEND_MESSAGE_LENGTH",
            read=_OPTIONAL_INT,
            channel_option="grpc.max_send_message_length",
        ),
    )
    max_receive_message_length: int | None = field(
        default=None,
        metadata=Setting.meta(
            _message_length,
            env="MAX_RECEIVE_MESSAGE_LENGTH",
            read=_OPTIONAL_INT,
            channel_option="grpc.max_receive_message_length",
        ),
    )
    compression: grpc.Compression | None = field(
        default=None,
        metadata=Setting.meta(
            Check.named(CompressionChoice.parse),
            env="COMPRESSION",
            read=Value.text,
            accepts=grpc.Compression | str | None,
        ),
    )
    options: ChannelOptions = field(
        default=(), metadata=Setting.meta(_options, accepts=ChannelOptionsInput)
    )
    retry: RetryPolicy = field(
        default_factory=RetryPolicy,
        metadata=Setting.meta(
            Check.policy(RetryPolicy), env="RETRY", nested=RetryPolicy, accepts=RetryPolicy | None
        ),
    )
    circuit_breaker: CircuitBreakerPolicy = field(
        default_factory=CircuitBreakerPolicy,
        metadata=Setting.meta(
            Check.policy(CircuitBreakerPolicy),
            env="CIRCUIT_BREAKER",
            nested=CircuitBreakerPolicy,
            accepts=CircuitBreakerPolicy | None,
        ),
    )
    bulkhead: BulkheadPolicy = field(
        default_factory=BulkheadPolicy,
        metadata=Setting.meta(
            Check.policy(BulkheadPolicy),
            env="BULKHEAD",
            nested=BulkheadPolicy,
            accepts=BulkheadPolicy | None,
        ),
    )
    tls: TlsSettings | None = field(
        default=None,
        metadata=Setting.meta(
            Check.instance(TlsSettings), env="TLS", nested=TlsSettings, switch=True
        ),
    )
    bearer_token: BearerToken | None = field(
        default=None,
        metadata=Setting.meta(
            _bearer_token,
            env="BEARER_TOKEN",
            read=Value.text,
            accepts=BearerTokenInput | BearerToken | None,
        ),
    )
    keepalive: KeepaliveSettings | None = field(
        default=None,
        metadata=Setting.meta(
            Check.instance(KeepaliveSettings), env="KEEPALIVE", nested=KeepaliveSettings
        ),
    )
    load_balancing: str | None = field(
        default=None,
        metadata=Setting.meta(
            _load_balancing, env="LOAD_BALANCING", read=Value.optional(Value.text)
        ),
    )
    max_reconnect_backoff: float | None = field(
        default=5.0,
        metadata=Setting.meta(
            Check.optional(_BACKOFF),
            env="MAX_RECONNECT_BACKOFF",
            read=Value.optional(Value.number),
            channel_option="grpc.max_reconnect_backoff_ms",
            to_channel=_milliseconds,
        ),
    )
    wait_for_ready: bool = field(
        default=False,
        metadata=Setting.meta(Check.flag, env="WAIT_FOR_READY", read=Value.boolean),
    )
    user_agent: str | None = field(
        default=None,
        metadata=Setting.meta(
            Check.optional(
                Check.text(
                    lambda text: text.isascii() and text.isprintable(),
                    "non-empty printable ASCII, without control characters",
                )
            ),
            env="USER_AGENT",
            read=Value.optional(Value.text),
            channel_option="grpc.primary_user_agent",
        ),
    )
    sent_ids: tuple[str, ...] = field(
        default=SentIds.DEFAULT,
        metadata=Setting.meta(
            SentIds.parse, env="SENT_IDS", read=SentIds.read, accepts=Collection[str]
        ),
    )
    failure_log_levels: FailureLogLevels = field(
        default_factory=FailureLogLevels,
        metadata=Setting.meta(
            FailureLogLevels.parse,
            env="FAILURE_LOG_LEVELS",
            read=FailureLogLevels.read,
            accepts=LevelsInput | FailureLogLevels | None,
        ),
    )

    @classmethod
    def create(cls, target: str, **options: Unpack[GrpcClientOptions]) -> "GrpcClientSettings":
        """Settings for ``target`` and the options given by keyword; the rest keep their defaults.

        The options are the fields after ``target`` (``help()`` lists them),
        typed for mypy by ``GrpcClientOptions``. An option no field has raises
        ``InvalidGrpcClientSettings`` naming it and the closest real one; an
        unusable value raises it too (or ``InvalidTlsSettings``,
        ``InvalidBearerToken``), for callers mypy does not check.
        """
        DeclaredSettings.refuse_unknown(cls, options)
        # Each field's check takes the wider types its keyword accepts (a str compression).
        return cls(target, **cast(dict[str, Any], options))

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self)
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
        for setting, option in self._channel_settings():
            if getattr(self, setting) is not None and option in named:
                raise InvalidGrpcClientSettings(
                    f"{option} is set both as a setting and in options; "
                    f"use {setting}= alone, or {setting}=None and the option"
                )
        self._check_transport(named)
        LoadBalancingPolicy.apply(self.load_balancing, self.options)

    def keywords(self) -> GrpcClientOptions:
        """Every option but the target, by name: ``create(s.target, **s.keywords()) == s``."""
        return cast(
            GrpcClientOptions,
            {setting.name: getattr(self, setting.name) for setting in fields(self)[1:]},
        )

    def __repr__(self) -> str:
        shown = {setting.name: getattr(self, setting.name) for setting in fields(self)}
        shown["options"] = SensitiveMetadata.redact(self.options)
        return f"GrpcClientSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def channel_options(self) -> ChannelOptions:
        """grpc-core's own retries are off, so they never multiply RetryPolicy's attempts."""
        return (
            *LoadBalancingPolicy.apply(self.load_balancing, self.options),
            *self._declared_options(),
            *self._transport_options(),
            (_RETRIES, 0),
        )

    def _check_transport(self, named: set[str]) -> None:
        """Refuse a bearer token without TLS here, once, rather than on every call.

        grpc never sends call credentials over a plaintext channel: each call
        would fail UNAUTHENTICATED, and a token in plaintext could be read on
        the way anyway.
        """
        if self.bearer_token is not None and self.tls is None:
            raise InvalidBearerToken(
                "bearer_token needs tls=TlsSettings(...): grpc sends call credentials only "
                "over a secure channel, and a token sent in plaintext can be read on the way"
            )
        for option, _ in self._transport_options():
            if option in named:
                raise InvalidGrpcClientSettings(f"{option} is set both as a setting and in options")

    def _transport_options(self) -> ChannelOptions:
        tls = () if self.tls is None else self.tls.channel_options()
        keepalive = () if self.keepalive is None else self.keepalive.channel_options()
        return (*tls, *keepalive)

    @staticmethod
    def _channel_settings() -> tuple[tuple[str, str], ...]:
        """Each field that becomes a channel option of its own: the field, the option."""
        return tuple(
            (setting.name, declaration.channel_option)
            for setting, declaration in DeclaredSettings.declared(GrpcClientSettings)
            if declaration.channel_option is not None
        )

    def _declared_options(self) -> ChannelOptions:
        declared = DeclaredSettings.declared(self)
        return tuple(
            (declaration.channel_option, declaration.to_channel(getattr(self, setting.name)))
            for setting, declaration in declared
            if declaration.channel_option is not None and getattr(self, setting.name) is not None
        )


DeclaredSettings.signed(GrpcClientSettings, after="target")(
    vars(GrpcClientSettings)["create"].__func__
)
