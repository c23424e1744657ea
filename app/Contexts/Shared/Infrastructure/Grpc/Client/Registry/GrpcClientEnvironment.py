import dataclasses
from collections.abc import Mapping
from typing import Any

from app.Contexts.Shared.Infrastructure.Discovery.EnvironmentServiceRegistry import (
    EnvironmentServiceRegistry,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceDiscoveryError import (
    ServiceDiscoveryError,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientEnvironment import (
    InvalidGrpcClientEnvironment,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.CompressionChoice import (
    CompressionChoice,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.KeepaliveSettings import (
    KeepaliveSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.LoadBalancingPolicy import (
    LoadBalancingPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.EnvironmentOverride import (
    EnvironmentOverride as Override,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.EnvironmentValue import (
    EnvironmentValue as Value,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.GrpcClientName import GrpcClientName
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerToken import BearerToken
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.TlsSettings import TlsSettings

_TARGET = Override("TARGET", "target", Value.text)
_POLICIES: tuple[tuple[str, tuple[Override, ...]], ...] = (
    (
        "retry",
        (
            Override("RETRY_MAX_ATTEMPTS", "max_attempts", Value.integer),
            Override("RETRY_INITIAL_BACKOFF", "initial_backoff", Value.number),
            Override("RETRY_MAX_BACKOFF", "max_backoff", Value.number),
            Override("RETRY_MULTIPLIER", "multiplier", Value.number),
            Override("RETRY_JITTER", "jitter", Value.number),
            Override("RETRY_RETRYABLE_CODES", "retryable_codes", Value.status_codes),
            Override("RETRY_ATTEMPT_TIMEOUT", "attempt_timeout", Value.optional(Value.number)),
        ),
    ),
    (
        "circuit_breaker",
        (
            Override(
                "CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD", "failure_rate_threshold", Value.number
            ),
            Override("CIRCUIT_BREAKER_MINIMUM_CALLS", "minimum_calls", Value.integer),
            Override("CIRCUIT_BREAKER_WINDOW_SIZE", "window_size", Value.integer),
            Override("CIRCUIT_BREAKER_RESET_TIMEOUT", "reset_timeout", Value.number),
            Override("CIRCUIT_BREAKER_HALF_OPEN_CALLS", "half_open_calls", Value.integer),
            Override("CIRCUIT_BREAKER_FAILURE_CODES", "failure_codes", Value.status_codes),
            Override("CIRCUIT_BREAKER_SCOPE", "scope", Value.text),
            Override("CIRCUIT_BREAKER_ENABLED", "enabled", Value.boolean),
        ),
    ),
    (
        "bulkhead",
        (
            Override("BULKHEAD_MAX_IN_FLIGHT", "max_in_flight", Value.integer),
            Override("BULKHEAD_WAIT", "wait", Value.boolean),
        ),
    ),
    (
        "keepalive",
        (
            Override("KEEPALIVE_TIME_MS", "time_ms", Value.integer),
            Override("KEEPALIVE_TIMEOUT_MS", "timeout_ms", Value.integer),
            Override("KEEPALIVE_PERMIT_WITHOUT_CALLS", "permit_without_calls", Value.boolean),
            Override("KEEPALIVE_MAX_PINGS_WITHOUT_DATA", "max_pings_without_data", Value.integer),
        ),
    ),
)
_TLS = Override("TLS", "tls", Value.boolean)
_TLS_FIELDS = (
    Override("TLS_ROOT_CERTIFICATES", "root_certificates", Value.pem),
    Override("TLS_PRIVATE_KEY", "private_key", Value.pem),
    Override("TLS_CERTIFICATE_CHAIN", "certificate_chain", Value.pem),
    Override("TLS_SERVER_NAME_OVERRIDE", "server_name_override", Value.text),
)
# After TLS, which a bearer token needs.
_SETTINGS = (
    Override("TIMEOUT", "default_timeout", Value.number),
    Override("MAX_SEND_MESSAGE_LENGTH", "max_send_message_length", Value.optional(Value.integer)),
    Override(
        "MAX_RECEIVE_MESSAGE_LENGTH", "max_receive_message_length", Value.optional(Value.integer)
    ),
    Override(
        "COMPRESSION",
        "compression",
        lambda raw: CompressionChoice.parse(raw, ValueError, "compression"),
    ),
    Override("LOAD_BALANCING", "load_balancing", Value.optional(LoadBalancingPolicy.parse)),
    Override("MAX_RECONNECT_BACKOFF", "max_reconnect_backoff", Value.optional(Value.number)),
    Override("WAIT_FOR_READY", "wait_for_ready", Value.boolean),
    Override("BEARER_TOKEN", "bearer_token", BearerToken),
)
_ALL = (
    _TARGET,
    *_SETTINGS,
    *(override for _, overrides in _POLICIES for override in overrides),
    _TLS,
    *_TLS_FIELDS,
)

# Settings that no longer exist: refused, so a deployment learns at start-up that one is ignored.
_RETIRED = {
    "CIRCUIT_BREAKER_FAILURE_THRESHOLD": (
        "no longer exists: the circuit breaker opens on a failure rate now; "
        "see CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD and CIRCUIT_BREAKER_MINIMUM_CALLS"
    ),
}

_Found = dict[Override, Any]


class GrpcClientEnvironment:
    """Overrides a registered service's settings with ``<PREFIX>_GRPC_<SETTING>`` variables.

    Code states what a service needs; the deployment states where it runs and
    how patient to be with it. Every ``GrpcClientSettings`` field but
    ``options`` has a variable: the field upper-cased (``default_timeout`` is
    ``TIMEOUT``), and ``<POLICY>_<FIELD>`` for a field of the retry,
    circuit-breaker, bulkhead, keepalive or TLS settings. The target may also
    come as ``EnvironmentServiceRegistry``'s ``_GRPC_HOST`` and ``_GRPC_PORT``.
    Every value is read before any applies, so a value that does not parse is
    reported as such, not as whatever a half-applied setting would make of it.
    A variable of a setting that no longer exists (``CIRCUIT_BREAKER_FAILURE_THRESHOLD``)
    raises ``InvalidGrpcClientEnvironment`` instead of being ignored.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    @staticmethod
    def variables(name: str) -> tuple[str, ...]:
        """Every variable read for ``name``: the target's, the plain settings', the policies'."""
        host, port = EnvironmentServiceRegistry.variables(name)
        prefix = GrpcClientName.prefix(name)
        return (prefix + _TARGET.suffix, host, port, *(prefix + o.suffix for o in _ALL[1:]))

    def apply(
        self, name: str, settings: GrpcClientSettings
    ) -> tuple[GrpcClientSettings, tuple[str, ...]]:
        """The settings the environment makes of ``settings``, and the variables it used."""
        prefix = GrpcClientName.prefix(name)
        self._refuse_retired(prefix)
        found = {o: o.value(prefix, self._environ) for o in _ALL if o.is_set(prefix, self._environ)}
        settings = self._target(name, prefix, settings, found)
        for field, overrides in _POLICIES:
            settings = self._policy(prefix, settings, field, overrides, found)
        settings = self._tls(prefix, settings, found)
        for override in (o for o in _SETTINGS if o in found):
            settings = override.apply(prefix, settings, found[override])
        return settings, tuple(v for v in self.variables(name) if v in self._environ)

    def _refuse_retired(self, prefix: str) -> None:
        for suffix, reason in _RETIRED.items():
            if prefix + suffix in self._environ:
                raise InvalidGrpcClientEnvironment(prefix + suffix, reason)

    def _target(
        self, name: str, prefix: str, settings: GrpcClientSettings, found: _Found
    ) -> GrpcClientSettings:
        given = [v for v in EnvironmentServiceRegistry.variables(name) if v in self._environ]
        if _TARGET in found and given:
            raise InvalidGrpcClientEnvironment(
                prefix + _TARGET.suffix,
                f"and {' and '.join(given)} both give the address; keep one of them",
            )
        if _TARGET in found:
            return _TARGET.apply(prefix, settings, found[_TARGET])
        if not given:
            return settings
        try:
            target = EnvironmentServiceRegistry(self._environ).discover(name)
        except ServiceDiscoveryError as error:
            raise InvalidGrpcClientEnvironment(", ".join(given), str(error)) from error
        with Override.blaming(", ".join(given)):
            return dataclasses.replace(settings, target=target)

    @staticmethod
    def _policy(
        prefix: str,
        settings: GrpcClientSettings,
        field: str,
        overrides: tuple[Override, ...],
        found: _Found,
    ) -> GrpcClientSettings:
        given = [override for override in overrides if override in found]
        if not given:
            return settings
        variables = ", ".join(prefix + override.suffix for override in given)
        policy = getattr(settings, field)
        if policy is None:
            policy = GrpcClientEnvironment._keepalive(prefix, variables, given, found)
        for override in given:
            policy = override.apply(prefix, policy, found[override])
        with Override.blaming(variables):
            return dataclasses.replace(settings, **{field: policy})

    @staticmethod
    def _keepalive(
        prefix: str, variables: str, given: list[Override], found: _Found
    ) -> KeepaliveSettings:
        """Keepalive is the one policy a service may have none of; its interval turns it on."""
        fields = {override.field: found[override] for override in given}
        if "time_ms" not in fields:
            raise InvalidGrpcClientEnvironment(
                variables,
                f"keepalive is off for this service; {prefix}KEEPALIVE_TIME_MS turns it on",
            )
        with Override.blaming(variables):
            return KeepaliveSettings(**fields)

    @staticmethod
    def _tls(prefix: str, settings: GrpcClientSettings, found: _Found) -> GrpcClientSettings:
        given = [override for override in (_TLS, *_TLS_FIELDS) if override in found]
        if not given:
            return settings
        fields = {override.field: found[override] for override in given if override is not _TLS}
        with Override.blaming(", ".join(prefix + override.suffix for override in given)):
            tls = GrpcClientEnvironment._tls_settings(settings.tls, found.get(_TLS), fields)
            return dataclasses.replace(settings, tls=tls)

    @staticmethod
    def _tls_settings(
        registered: TlsSettings | None, switch: bool | None, fields: dict[str, Any]
    ) -> TlsSettings | None:
        if switch is False:
            if fields:
                raise ValueError("turn TLS off and give its certificates; unset one or the other")
            return None
        if registered is None:
            return TlsSettings(**fields)
        return dataclasses.replace(registered, **fields)
