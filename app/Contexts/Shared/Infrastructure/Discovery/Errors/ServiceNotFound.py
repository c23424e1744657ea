from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceDiscoveryError import (
    ServiceDiscoveryError,
)


class ServiceNotFound(ServiceDiscoveryError, LookupError):
    """A registry has no address for a service; the message names where it looked."""
