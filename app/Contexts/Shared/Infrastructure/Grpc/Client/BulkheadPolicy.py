from dataclasses import dataclass

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)


@dataclass(frozen=True, slots=True)
class BulkheadPolicy:
    """How many calls one client may have in flight, and what an extra call does.

    A slow backend otherwise soaks up every thread or task of the caller. Over
    the limit a call either waits for a free slot within its own timeout
    (``wait=True``) or fails at once with RESOURCE_EXHAUSTED (``wait=False``),
    for callers that prefer shedding load to queueing it.
    """

    max_in_flight: int = 1000
    wait: bool = True

    def __post_init__(self) -> None:
        if type(self.max_in_flight) is not int or self.max_in_flight < 1:
            raise InvalidGrpcClientSettings("max_in_flight must be an int of at least 1")
        if type(self.wait) is not bool:
            raise InvalidGrpcClientSettings(f"wait must be a bool, got {self.wait!r}")
