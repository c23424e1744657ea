import string
from collections.abc import Mapping

from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceAddress import (
    InvalidServiceAddress,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceRegistry import (
    InvalidServiceRegistry,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceNotFound import ServiceNotFound
from app.Contexts.Shared.Infrastructure.Discovery.ServiceAddress import ServiceAddress
from app.Contexts.Shared.Infrastructure.Discovery.ServiceName import ServiceName
from app.Contexts.Shared.Infrastructure.Discovery.ServiceRegistry import ServiceRegistry

_PLACEHOLDER = "service"


class DnsServiceRegistry(ServiceRegistry):
    """Gives a service's DNS name as ``dns:///host:port`` and leaves the lookup to grpc.

    grpc's resolver then finds every address record of the name (the replicas
    behind a Kubernetes headless service, say) and, with
    ``load_balancing="round_robin"``, spreads calls over all of them. It looks
    the name up again when a connection is lost (it does not poll), so a replica
    that goes away is dropped and new ones are found at that next lookup, all
    without asking this registry again. Host names come from
    ``hosts`` first (``"name"`` or ``"name:port"``), then from ``template``
    (``"{service}.backend.svc.cluster.local"``); both are checked at
    construction, the template with a sample name.
    """

    def __init__(
        self,
        hosts: Mapping[str, str] | None = None,
        *,
        template: str | None = None,
        default_port: int = 50051,
    ) -> None:
        if hosts is not None and not isinstance(hosts, Mapping):
            raise InvalidServiceRegistry(
                f"hosts must be a mapping of service names to 'host' or 'host:port', "
                f"got {type(hosts).__qualname__}"
            )
        if not hosts and template is None:
            raise InvalidServiceRegistry("a DNS registry needs hosts, a template, or both")
        self._port = ServiceAddress.parse_port(default_port, "default_port", InvalidServiceRegistry)
        self._hosts = {
            self._name(name): ServiceAddress.parse(host, self._port, f"hosts[{name!r}]")
            for name, host in (hosts or {}).items()
        }
        self._template = None if template is None else self._checked(template)

    def discover(self, service_name: str) -> str:
        address = self._hosts.get(service_name)
        if address is None:
            address = self._from_template(service_name)
        return f"dns:///{address}"

    def _from_template(self, service_name: str) -> ServiceAddress:
        if self._template is None:
            known = ", ".join(repr(name) for name in sorted(self._hosts))
            raise ServiceNotFound(
                f"service {service_name!r} not found in the DNS registry; its hosts name "
                f"{known}, and it has no template"
            )
        name = ServiceName.check(service_name, "the DNS registry's template")
        return ServiceAddress.parse(
            self._template.format(service=name),
            self._port,
            f"template {self._template!r} for {name!r}",
        )

    @staticmethod
    def _name(name: object) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidServiceRegistry(f"service names must be non-empty str, got {name!r}")
        return name

    def _checked(self, template: object) -> str:
        if not isinstance(template, str) or not self._has_only_the_placeholder(template):
            raise InvalidServiceRegistry(
                f"template must be a host name with {{{_PLACEHOLDER}}} in it, such as "
                f"'{{{_PLACEHOLDER}}}.backend.svc.cluster.local', got {template!r}"
            )
        try:
            ServiceAddress.parse(template.format(service="sample"), self._port, "template")
        except InvalidServiceAddress as error:
            raise InvalidServiceRegistry(
                f"template {template!r} cannot make a DNS name: {error}"
            ) from error
        return template

    @staticmethod
    def _has_only_the_placeholder(template: str) -> bool:
        try:
            fields = [
                (field, spec, conversion)
                for _, field, spec, conversion in string.Formatter().parse(template)
                if field is not None
            ]
        except ValueError:
            return False
        return bool(fields) and all(entry == (_PLACEHOLDER, "", None) for entry in fields)
