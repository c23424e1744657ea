import dataclasses
from collections.abc import Mapping

from app.Contexts.Shared.Infrastructure.Discovery.EnvironmentServiceRegistry import (
    EnvironmentServiceRegistry,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceDiscoveryError import (
    ServiceDiscoveryError,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.DeclaredSettings import (
    DeclaredSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientEnvironment import (
    InvalidGrpcClientEnvironment,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.EnvironmentField import (
    EnvironmentField,
    Found,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.EnvironmentOverride import (
    EnvironmentOverride as Override,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.GrpcClientName import GrpcClientName

_TARGET, *_FIELDS = (
    EnvironmentField.of(setting, declaration)
    for setting, declaration in DeclaredSettings.declared(GrpcClientSettings)
)
_ALL = tuple(override for field in (_TARGET, *_FIELDS) for override in field.overrides())

# Settings that no longer exist: refused, so a deployment learns at start-up that one is ignored.
_RETIRED = {
    "CIRCUIT_BREAKER_FAILURE_THRESHOLD": (
        "no longer exists: the circuit breaker opens on a failure rate now; "
        "see CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD and CIRCUIT_BREAKER_MINIMUM_CALLS"
    ),
}


class GrpcClientEnvironment:
    """Overrides a registered service's settings with ``<PREFIX>_GRPC_<SETTING>`` variables.

    Code states what a service needs; the deployment states where it runs and
    how patient to be with it. Each variable is declared by its field (the
    ``env`` of its ``SettingDeclaration``): every ``GrpcClientSettings`` field
    but ``options`` has one, the field upper-cased (``default_timeout`` is
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
        """Every variable read for ``name``: the target's, then each setting's in field order."""
        host, port = EnvironmentServiceRegistry.variables(name)
        prefix = GrpcClientName.prefix(name)
        return (prefix + _ALL[0].suffix, host, port, *(prefix + o.suffix for o in _ALL[1:]))

    def apply(
        self, name: str, settings: GrpcClientSettings
    ) -> tuple[GrpcClientSettings, tuple[str, ...]]:
        """The settings the environment makes of ``settings``, and the variables it used.

        Fields apply in their declared order (TLS before the bearer token it
        carries), each blamed on its own variables.
        """
        prefix = GrpcClientName.prefix(name)
        self._refuse_retired(prefix)
        found = {o: o.value(prefix, self._environ) for o in _ALL if o.is_set(prefix, self._environ)}
        settings = self._target(name, prefix, settings, found)
        for field in _FIELDS:
            settings = field.apply(prefix, settings, found)
        return settings, tuple(v for v in self.variables(name) if v in self._environ)

    def _refuse_retired(self, prefix: str) -> None:
        for suffix, reason in _RETIRED.items():
            if prefix + suffix in self._environ:
                raise InvalidGrpcClientEnvironment(prefix + suffix, reason)

    def _target(
        self, name: str, prefix: str, settings: GrpcClientSettings, found: Found
    ) -> GrpcClientSettings:
        given = [v for v in EnvironmentServiceRegistry.variables(name) if v in self._environ]
        variable = prefix + _ALL[0].suffix
        if variable in self._environ and given:
            raise InvalidGrpcClientEnvironment(
                variable, f"and {' and '.join(given)} both give the address; keep one of them"
            )
        if variable in self._environ or not given:
            result: GrpcClientSettings = _TARGET.apply(prefix, settings, found)
            return result
        try:
            target = EnvironmentServiceRegistry(self._environ).discover(name)
        except ServiceDiscoveryError as error:
            raise InvalidGrpcClientEnvironment(", ".join(given), str(error)) from error
        with Override.blaming(", ".join(given)):
            return dataclasses.replace(settings, target=target)
