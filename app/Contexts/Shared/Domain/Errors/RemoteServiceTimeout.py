from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteServiceTimeout(RemoteServiceError):
    """No answer came within the deadline; the work may or may not have been done."""
