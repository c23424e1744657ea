import asyncio
import threading
from collections.abc import Callable

from app.Contexts.Shared.Infrastructure.Discovery.ServiceRegistry import ServiceRegistry
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork
from app.Contexts.Shared.Infrastructure.Lifecycle.ClosesOnExit import ClosesOnExit


class ServiceDiscoveryGrpcClient(ClosesOnExit):
    """One ``GrpcClient`` per service name, at the target a ``ServiceRegistry`` gives.

    Calling code names the service it needs and never holds an address. Each
    service is discovered once, on first use, and its client kept: a client is
    a connection, and discovering per call would reconnect per call. Following
    addresses that change is grpc's resolver's job (a ``dns:///`` target), not
    this class's. ``client_factory`` builds each client from its target, which
    is where client settings go (``functools.partial(GrpcClient,
    load_balancing="round_robin")``); the clients are closed together.
    """

    def __init__(
        self,
        service_registry: ServiceRegistry,
        client_factory: Callable[[str], GrpcClient] = GrpcClient,
    ) -> None:
        self._service_registry = service_registry
        self._client_factory = client_factory
        self._clients: dict[str, GrpcClient] = {}
        self._lock = threading.Lock()
        self._closed = False
        AfterFork.register(self, in_child=ServiceDiscoveryGrpcClient._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    def get_client(self, service_name: str) -> GrpcClient:
        """The service's client; the first call discovers it, under a lock so only one is built."""
        client = self._clients.get(service_name)
        if client is not None:
            return client
        with self._lock:
            if self._closed:
                raise GrpcClientClosed(f"{self!r} is closed")
            client = self._clients.get(service_name)
            if client is None:
                target = self._service_registry.discover(service_name)
                client = self._clients[service_name] = self._client_factory(target)
        return client

    def call_service(self, service_name: str, request: GrpcRequest) -> GrpcResponse:
        return self.get_client(service_name).call(request)

    async def call_service_async(self, service_name: str, request: GrpcRequest) -> GrpcResponse:
        return await self.get_client(service_name).call_async(request)

    def close(self) -> None:
        for client in self._take_all():
            client.close()

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._take_all()))

    def _take_all(self) -> list[GrpcClient]:
        with self._lock:
            self._closed = True
            clients, self._clients = list(self._clients.values()), {}
        return clients

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"open, {len(self._clients)} clients"
        return f"<ServiceDiscoveryGrpcClient {type(self._service_registry).__name__} {state}>"
