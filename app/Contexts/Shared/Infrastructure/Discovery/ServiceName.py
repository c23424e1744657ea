import re

from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceNotFound import ServiceNotFound

_SERVICE_NAME = re.compile(r"[A-Za-z0-9]+(?:[-._][A-Za-z0-9]+)*")


class ServiceName:
    """The names registries build addresses from: letters and digits joined by ``-``, ``.``, ``_``.

    A name becomes part of an environment variable or of a DNS name, so anything
    else (a space, ``:``, ``/``, an empty string) could only find nothing, or
    something unintended: a ``:`` would slip a port into a DNS name.
    """

    @staticmethod
    def check(service_name: object, registry: str) -> str:
        if isinstance(service_name, str) and _SERVICE_NAME.fullmatch(service_name):
            return service_name
        raise ServiceNotFound(
            f"service {service_name!r} not found: {registry} builds addresses from names of "
            "letters and digits joined by '-', '.' or '_'"
        )
