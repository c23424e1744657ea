"""Root of what service discovery raises: no usable address could be found for a name.

Everything below means the configuration (or the calling code) must change::

    Exception
    └── ServiceDiscoveryError
        ├── ServiceNotFound (LookupError)         the registry has no address for the name
        ├── InvalidServiceAddress (ValueError)    it has one, but no grpc target can be made of it
        └── InvalidServiceRegistry (ValueError)   the registry was built with unusable arguments
"""


class ServiceDiscoveryError(Exception):
    """Base class, so callers can catch every discovery failure in one clause."""
