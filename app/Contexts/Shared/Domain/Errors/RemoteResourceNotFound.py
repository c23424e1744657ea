from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteResourceNotFound(RemoteServiceError):
    """What was asked for does not exist on the other side."""
