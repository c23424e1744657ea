"""Discovery's exceptions, importable from one place (``ServiceDiscoveryError`` draws the tree)."""

from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceAddress import (
    InvalidServiceAddress,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceRegistry import (
    InvalidServiceRegistry,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceDiscoveryError import (
    ServiceDiscoveryError,
)
from app.Contexts.Shared.Infrastructure.Discovery.Errors.ServiceNotFound import ServiceNotFound

__all__ = [
    "InvalidServiceAddress",
    "InvalidServiceRegistry",
    "ServiceDiscoveryError",
    "ServiceNotFound",
]
