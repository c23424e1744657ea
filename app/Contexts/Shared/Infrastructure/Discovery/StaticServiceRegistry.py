from collections.abc import Mapping

from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceAddress import (
    InvalidServiceAddress,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceRegistry import (
    InvalidServiceRegistry,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceNotFound import ServiceNotFound
from app.Contexts.Shared.Infrastructure.Discovery.GrpcTarget import GrpcTarget
from app.Contexts.Shared.Infrastructure.Discovery.ServiceRegistry import ServiceRegistry


class StaticServiceRegistry(ServiceRegistry):
    """A fixed table of service names to grpc targets, checked when it is built.

    For configuration files, tests and local development: whatever produced the
    table (a settings file, a fixture) is done by the time a call needs an
    address, so a bad entry fails at startup rather than on that call. Targets
    are any grpc target (``host:port``, ``dns:///name:port``, ``ipv4:a:p,b:p``,
    ``unix:/path``), kept as given and checked by ``GrpcTarget``'s rule, the one
    clients apply (``InvalidServiceAddress`` names the entry); the table is
    copied, so later changes to the mapping passed in do not leak into it.
    """

    def __init__(self, targets: Mapping[str, str]) -> None:
        if not isinstance(targets, Mapping):
            raise InvalidServiceRegistry(
                f"targets must be a mapping of service names to grpc targets, "
                f"got {type(targets).__qualname__}"
            )
        for name, target in targets.items():
            if not isinstance(name, str) or not name.strip():
                raise InvalidServiceRegistry(f"service names must be non-empty str, got {name!r}")
            GrpcTarget.parse(target, f"targets[{name!r}]", InvalidServiceAddress)
        self._targets = dict(targets)

    def discover(self, service_name: str) -> str:
        target = self._targets.get(service_name)
        if target is None:
            known = ", ".join(repr(name) for name in sorted(self._targets)) or "none"
            raise ServiceNotFound(
                f"service {service_name!r} not found in the static registry; it knows {known}"
            )
        return target
