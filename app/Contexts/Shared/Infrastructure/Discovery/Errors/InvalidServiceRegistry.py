from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceDiscoveryError import (
    ServiceDiscoveryError,
)


class InvalidServiceRegistry(ServiceDiscoveryError, ValueError):
    """A registry was built with arguments it could never use; raised by its constructor."""
