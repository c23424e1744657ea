"""The domain's view of a remote call that failed: errors with no gRPC in them.

This module imports nothing, so a service's Domain layer may depend on it.

Root of the domain's view of a remote call that did not give an answer.

Application code must not import grpc, yet it has to tell "not found" from
"try again later". These errors carry the meaning of a failure in domain terms;
the infrastructure maps transport status codes onto them in one table
(``GrpcStatusErrors``)::

    Exception
    └── RemoteServiceError
        ├── RemoteServiceUnavailable       down, unreachable or refusing for now
        ├── RemoteServiceTimeout           no answer within the deadline
        ├── RemoteServiceOverloaded        out of quota or capacity: back off
        ├── RemoteServiceUnauthenticated   our credentials were missing or refused
        ├── RemoteServicePermissionDenied  we are known, but not allowed
        ├── RemoteResourceNotFound         the thing asked for does not exist
        ├── RemoteResourceConflict         it already exists, or changed under us
        ├── RemoteRequestInvalid           the other side rejected what we sent
        └── RemoteServiceFailed            the other side broke, or cannot do this
"""


class RemoteServiceError(Exception):
    """Base class, so a handler can catch every remote failure in one clause.

    ``status`` is the transport's name for what happened (``"NOT_FOUND"``),
    kept as text so logs and messages can quote it without the domain knowing
    any transport; ``details`` is what the other side said.
    """

    def __init__(self, status: str, details: str = "") -> None:
        self.status = status
        self.details = details
        super().__init__(f"{status}: {details}" if details else status)


class RemoteRequestInvalid(RemoteServiceError):
    """The other side rejected what we sent; sending it again will fail the same way."""


class RemoteResourceConflict(RemoteServiceError):
    """It already exists, or changed while we worked on it; re-read before trying again."""


class RemoteResourceNotFound(RemoteServiceError):
    """What was asked for does not exist on the other side."""


class RemoteServiceFailed(RemoteServiceError):
    """The other side broke, or does not implement the operation; retrying will not help."""


class RemoteServiceOverloaded(RemoteServiceError):
    """The service refused for lack of quota or capacity: retrying at once makes it worse."""


class RemoteServicePermissionDenied(RemoteServiceError):
    """The service knows who we are and does not allow this operation."""


class RemoteServiceTimeout(RemoteServiceError):
    """No answer came within the deadline; the work may or may not have been done."""


class RemoteServiceUnauthenticated(RemoteServiceError):
    """Our credentials were missing or refused: a configuration problem, not an outage."""


class RemoteServiceUnavailable(RemoteServiceError):
    """The service is down, unreachable or shedding load; the same call may work later."""
