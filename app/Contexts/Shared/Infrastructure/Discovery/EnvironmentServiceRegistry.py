import os
from collections.abc import Mapping

from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceRegistry import (
    InvalidServiceRegistry,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceNotFound import ServiceNotFound
from app.Contexts.Shared.Infrastructure.Discovery.ServiceAddress import ServiceAddress
from app.Contexts.Shared.Infrastructure.Discovery.ServiceName import ServiceName
from app.Contexts.Shared.Infrastructure.Discovery.ServiceRegistry import ServiceRegistry


class EnvironmentServiceRegistry(ServiceRegistry):
    """Finds ``backtest-service`` at ``BACKTEST_SERVICE_GRPC_HOST`` and ``..._GRPC_PORT``.

    That is the convention deployments already set (Kubernetes, compose files,
    ``.env``). The mapping is read at each ``discover``, never at import or
    construction, so a registry built early sees what the process has when it
    asks, and tests hand it a dict instead of patching ``os.environ``. A
    missing port falls back to ``default_port`` (``None``: the port is
    required); a missing host is never guessed, since a silent ``localhost`` in
    production reaches nothing or the wrong thing.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, default_port: int | None = 50051
    ) -> None:
        if environ is not None and not isinstance(environ, Mapping):
            raise InvalidServiceRegistry(
                f"environ must be a mapping of variable names to values, "
                f"got {type(environ).__qualname__}"
            )
        self._environ = os.environ if environ is None else environ
        self._default_port = (
            None
            if default_port is None
            else ServiceAddress.parse_port(default_port, "default_port", InvalidServiceRegistry)
        )

    @staticmethod
    def variables(service_name: str) -> tuple[str, str]:
        """The host and port variables: the name upper-cased, with ``_`` for ``-`` and ``.``."""
        name = ServiceName.check(service_name, "the environment registry")
        prefix = name.replace("-", "_").replace(".", "_").upper()
        return f"{prefix}_GRPC_HOST", f"{prefix}_GRPC_PORT"

    def discover(self, service_name: str) -> str:
        host_variable, port_variable = self.variables(service_name)
        host = self._environ.get(host_variable)
        port = self._environ.get(port_variable)
        if host is None:
            raise ServiceNotFound(
                f"service {service_name!r} not found: the environment has no {host_variable} "
                f"(read together with {port_variable}, {self._port_rule()})"
            )
        if port is not None:
            number = ServiceAddress.parse_port(port, port_variable)
        elif self._default_port is not None:
            number = self._default_port
        else:
            raise ServiceNotFound(
                f"service {service_name!r} not found: the environment has {host_variable} "
                f"but no {port_variable}, and this registry has no default port"
            )
        return str(ServiceAddress.of(host, number, host_variable))

    def _port_rule(self) -> str:
        if self._default_port is None:
            return "which is required"
        return f"which defaults to {self._default_port}"
