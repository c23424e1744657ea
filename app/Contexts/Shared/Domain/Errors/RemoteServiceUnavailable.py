from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteServiceUnavailable(RemoteServiceError):
    """The service is down, unreachable or shedding load; the same call may work later."""
