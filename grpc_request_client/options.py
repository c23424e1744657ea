"""Channel option values: timeouts, compression, keepalive, load balancing."""

import json
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, TypeVar

import grpc

from grpc_request_client.declaration import DeclaredSettings
from grpc_request_client.declaration import EnvironmentValue as Value
from grpc_request_client.declaration import SettingCheck as Check
from grpc_request_client.declaration import SettingDeclaration as Setting
from grpc_request_client.errors import InvalidGrpcClientSettings

_NAMES = {
    "none": grpc.Compression.NoCompression,
    "gzip": grpc.Compression.Gzip,
    "deflate": grpc.Compression.Deflate,
}


class CompressionChoice:
    """Reads a compression given as a ``grpc.Compression`` or by name, for clients and requests."""

    @staticmethod
    def parse(value: object, error: type[Exception], what: str) -> grpc.Compression | None:
        if value is None or isinstance(value, grpc.Compression):
            return value
        if isinstance(value, str) and value.lower() in _NAMES:
            return _NAMES[value.lower()]
        raise error(f"{what} must be a grpc.Compression or one of {sorted(_NAMES)}, got {value!r}")


_INT_MAX = 2**31 - 1  # grpc channel arguments are C ints


@dataclass(frozen=True, slots=True)
class KeepaliveSettings:
    """HTTP/2 pings that find a dead connection before a call has to.

    Without them, a connection silently dropped by a NAT or a load balancer is
    found out by the next call, which waits out its deadline. The defaults
    besides ``time_ms`` are grpc's own. The server must accept pings this often
    (its ``grpc.http2.min_ping_interval_without_data_ms``, and
    ``grpc.keepalive_permit_without_calls`` for pings while idle); otherwise it
    closes the connection with ``too_many_pings`` and the client backs off.

    ``timeout_ms`` (milliseconds) is how long an unanswered ping keeps the
    connection: it becomes both ``grpc.keepalive_timeout_ms`` and
    ``grpc.http2.ping_timeout_ms``, because grpc-core bounds a ping in flight
    by the latter (``chttp2_transport.cc``, ``grpc_chttp2_end_write``: the
    keepalive timer is armed only beside the ping timer, default 60 s), so the
    former alone left a frozen peer to be found by each call's deadline.
    """

    time_ms: int = field(
        metadata=Setting.meta(Check.count(1, _INT_MAX), env="TIME_MS", read=Value.integer)
    )
    timeout_ms: int = field(
        default=20_000,
        metadata=Setting.meta(Check.count(1, _INT_MAX), env="TIMEOUT_MS", read=Value.integer),
    )
    permit_without_calls: bool = field(
        default=False,
        metadata=Setting.meta(Check.flag, env="PERMIT_WITHOUT_CALLS", read=Value.boolean),
    )
    max_pings_without_data: int = field(
        default=2,
        metadata=Setting.meta(
            Check.count(0, _INT_MAX), env="MAX_PINGS_WITHOUT_DATA", read=Value.integer
        ),
    )

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self, "keepalive ")

    def channel_options(self) -> tuple[tuple[str, int], ...]:
        return (
            ("grpc.keepalive_time_ms", self.time_ms),
            ("grpc.keepalive_timeout_ms", self.timeout_ms),
            ("grpc.http2.ping_timeout_ms", self.timeout_ms),
            ("grpc.keepalive_permit_without_calls", int(self.permit_without_calls)),
            ("grpc.http2.max_pings_without_data", self.max_pings_without_data),
        )


POLICIES = ("pick_first", "round_robin")
SERVICE_CONFIG = "grpc.service_config"
LB_POLICY_NAME = "grpc.lb_policy_name"

_Value = TypeVar("_Value")


class LoadBalancingPolicy:
    """Carries the ``load_balancing`` setting to grpc's own balancer, as a service config.

    grpc already resolves every address of a target (each entry of an ``ipv4:``
    list, each record of a ``dns:///`` name) and balances calls over them; it only
    needs to be told to use round_robin instead of pick_first. The service config
    is a single JSON channel option that callers also use for other things
    (per-method timeouts and message limits), so the policy is merged into theirs
    rather than replacing it. grpc lets a service config win silently over
    ``grpc.lb_policy_name``, so any disagreement between the three is refused
    here instead of one of them quietly losing. A malformed service config is
    refused too: grpc would accept the channel and fail every call on it; and so
    is a per-method ``timeout``, which grpc applies as the lesser of it and a
    call's own deadline.
    """

    @staticmethod
    def parse(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and value.lower() in POLICIES:
            return value.lower()
        raise InvalidGrpcClientSettings(
            f"load_balancing must be None or one of {list(POLICIES)}, got {value!r}"
        )

    @classmethod
    def apply(
        cls, policy: str | None, options: tuple[tuple[str, _Value], ...]
    ) -> tuple[tuple[str, _Value | str], ...]:
        """``options`` with ``policy`` folded into their service config (added if absent)."""
        if policy is not None and policy not in POLICIES:
            raise InvalidGrpcClientSettings(
                f"load_balancing must be None or one of {list(POLICIES)}, got {policy!r}"
            )
        given = [value for key, value in options if key == SERVICE_CONFIG]
        if len(given) > 1:
            raise InvalidGrpcClientSettings(f"{SERVICE_CONFIG} is given more than once in options")
        config = cls._parse_service_config(given[0]) if given else {}
        if policy is None:
            return options
        cls._refuse_other_lb_policy_names(policy, options)
        merged = json.dumps(cls._with_policy(config, policy))
        if not given:
            return (*options, (SERVICE_CONFIG, merged))
        return tuple(
            (key, merged) if key == SERVICE_CONFIG else (key, value) for key, value in options
        )

    @staticmethod
    def _parse_service_config(value: object) -> dict[str, Any]:
        try:
            config = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            config = None
        if not isinstance(config, dict):
            raise InvalidGrpcClientSettings(
                f"{SERVICE_CONFIG} must be a JSON object in a str, got {value!r}"
            )
        LoadBalancingPolicy._refuse_method_timeouts(config)
        return config

    @staticmethod
    def _refuse_method_timeouts(config: dict[str, Any]) -> None:
        """A methodConfig ``timeout`` silently cuts every call's own deadline short.

        grpc applies the lesser of the two (its doc/service_config.md).
        """
        entries = config.get("methodConfig", [])
        if isinstance(entries, list) and any(
            isinstance(entry, dict) and "timeout" in entry for entry in entries
        ):
            raise InvalidGrpcClientSettings(
                f"a methodConfig timeout in {SERVICE_CONFIG} would cut each request's own "
                "timeout short; use default_timeout= and the requests' timeout() instead"
            )

    @staticmethod
    def _refuse_other_lb_policy_names(policy: str, options: tuple[tuple[str, object], ...]) -> None:
        for key, value in options:
            if key == LB_POLICY_NAME and value != policy:
                raise InvalidGrpcClientSettings(
                    f"load_balancing={policy!r} contradicts {LB_POLICY_NAME}={value!r} in options"
                )

    @staticmethod
    def _with_policy(config: dict[str, Any], policy: str) -> dict[str, Any]:
        named = LoadBalancingPolicy._policies_named_in(config)
        if named and named != [policy]:
            raise InvalidGrpcClientSettings(
                f"load_balancing={policy!r} contradicts the {SERVICE_CONFIG} in options, "
                f"which asks for {named}"
            )
        if named:
            return config
        return {**config, "loadBalancingConfig": [{policy: {}}]}

    @staticmethod
    def _policies_named_in(config: dict[str, Any]) -> list[str]:
        """Every policy a service config names, in either of the two fields grpc reads."""
        entries = config.get("loadBalancingConfig", [])
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and len(entry) == 1 for entry in entries
        ):
            raise InvalidGrpcClientSettings(
                f"loadBalancingConfig in {SERVICE_CONFIG} must be a list of {{policy: config}}"
            )
        named = list(dict.fromkeys(name for entry in entries for name in entry))
        legacy = config.get("loadBalancingPolicy")
        if isinstance(legacy, str) and legacy.lower() not in named:
            named.append(legacy.lower())
        return named


# grpc-core turns a deadline into 64-bit nanoseconds from now; far beyond this it overflows
# and the call fails at once. A little over three years is more than any call should wait.
MAX_SECONDS = 1e8


class TimeoutSeconds:
    """The one rule for what counts as a timeout, shared by requests and client settings.

    gRPC turns a zero, negative, NaN, infinite or huge timeout into odd behaviour
    (an instant DEADLINE_EXCEEDED, or no deadline at all); ``True`` is an int to
    Python but never what was meant. Ints and floats take the fast path since
    that check runs on every call.
    """

    @staticmethod
    def parse(value: object, error: type[Exception], what: str) -> float:
        if type(value) is float or type(value) is int:
            if 0 < value <= MAX_SECONDS:
                return value
        elif isinstance(value, Real) and not isinstance(value, bool):
            seconds = float(value)
            if 0 < seconds <= MAX_SECONDS:
                return seconds
        raise error(
            f"{what} must be a number of seconds above 0 and at most {MAX_SECONDS:.0e}, "
            f"got {value!r}"
        )
