from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteServiceUnauthenticated(RemoteServiceError):
    """Our credentials were missing or refused: a configuration problem, not an outage."""
