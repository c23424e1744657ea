from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.AsyncChannels import AsyncChannels
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SyncChannel import SyncChannel
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitBreaker import CircuitBreaker
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock


class SharedChannel:
    """What every client with the same settings shares: the connection and the breaker.

    The circuit breaker lives here rather than in a client because a breaker
    per short-lived client would never see enough failures to trip.
    ``holders`` and ``idle_since`` belong to the registry, which changes them
    under its lock.
    """

    def __init__(self, settings: GrpcClientSettings, clock: Clock) -> None:
        self.sync = SyncChannel(settings)
        self.aio = AsyncChannels(settings)
        policy = settings.circuit_breaker
        self.breaker = CircuitBreaker(policy, clock) if policy.enabled else None
        self.holders = 0
        self.idle_since: float | None = None

    def close(self) -> None:
        self.sync.close()
        self.aio.close()
