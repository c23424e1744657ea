from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError


class RemoteRequestInvalid(RemoteServiceError):
    """The other side rejected what we sent; sending it again will fail the same way."""
