from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteServiceFailed(RemoteServiceError):
    """The other side broke, or does not implement the operation; retrying will not help."""
