from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceDiscoveryError import (
    ServiceDiscoveryError,
)


class InvalidServiceAddress(ServiceDiscoveryError, ValueError):
    """A registry holds an address for a service that cannot work; the message names its source."""
