"""Remote-failure errors, importable from one place (see ``RemoteServiceError`` for the tree)."""

from app.Contexts.Shared.Domain.Errors.RemoteRequestInvalid import RemoteRequestInvalid
from app.Contexts.Shared.Domain.Errors.RemoteResourceConflict import RemoteResourceConflict
from app.Contexts.Shared.Domain.Errors.RemoteResourceNotFound import RemoteResourceNotFound
from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError
from app.Contexts.Shared.Domain.Errors.RemoteServiceFailed import RemoteServiceFailed
from app.Contexts.Shared.Domain.Errors.RemoteServiceOverloaded import RemoteServiceOverloaded
from app.Contexts.Shared.Domain.Errors.RemoteServicePermissionDenied import (
    RemoteServicePermissionDenied,
)
from app.Contexts.Shared.Domain.Errors.RemoteServiceTimeout import RemoteServiceTimeout
from app.Contexts.Shared.Domain.Errors.RemoteServiceUnauthenticated import (
    RemoteServiceUnauthenticated,
)
from app.Contexts.Shared.Domain.Errors.RemoteServiceUnavailable import RemoteServiceUnavailable

__all__ = [
    "RemoteRequestInvalid",
    "RemoteResourceConflict",
    "RemoteResourceNotFound",
    "RemoteServiceError",
    "RemoteServiceFailed",
    "RemoteServiceOverloaded",
    "RemoteServicePermissionDenied",
    "RemoteServiceTimeout",
    "RemoteServiceUnauthenticated",
    "RemoteServiceUnavailable",
]
