from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteServiceOverloaded(RemoteServiceError):
    """The service refused for lack of quota or capacity: retrying at once makes it worse."""
