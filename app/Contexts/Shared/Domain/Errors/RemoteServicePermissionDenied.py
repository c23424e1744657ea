from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteServicePermissionDenied(RemoteServiceError):
    """The service knows who we are and does not allow this operation."""
