from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteResourceConflict(RemoteServiceError):
    """It already exists, or changed while we worked on it; re-read before trying again."""
