"""``injector`` wiring: a module that binds named clients from a ``GrpcClientRegistry``."""

from typing import Annotated, cast

from injector import Binder, CallableProvider, Module, singleton

from grpc_request_client.client import GrpcClient
from grpc_request_client.registry import GrpcClientName, GrpcClientRegistry


class GrpcClientsModule(Module):
    """Makes each registered service injectable as ``Annotated[GrpcClient, "<name>"]``.

    Code that needs a service declares a key once (``UsersGrpcClient =
    Annotated[GrpcClient, "users"]``) and takes it in an ``@inject``
    constructor; which target, timeout or TLS that means stays in the registry.
    Each key is a singleton whose provider is ``registry.get(name)``, so a
    client is still made on first use and shared with code that asks the
    registry directly. The registry is bound too, for ``close_all()`` at
    shutdown. Names are bound when the ``Injector`` is made: register first.
    """

    def __init__(self, registry: GrpcClientRegistry) -> None:
        self._registry = registry

    def configure(self, binder: Binder) -> None:
        binder.bind(GrpcClientRegistry, to=self._registry)
        for name in self._registry.services():
            binder.bind(self.key(name), to=self._provider(name), scope=singleton)

    def _provider(self, name: str) -> CallableProvider[GrpcClient]:
        """A function of no arguments: injector reads a callable's annotations to inject them."""

        def client() -> GrpcClient:
            return self._registry.get(name)

        return CallableProvider(client)

    @staticmethod
    def key(name: str) -> type[GrpcClient]:
        """``Annotated[GrpcClient, name]`` for a name known only at run time.

        mypy reads a subscripted ``Annotated`` as a type only where a type is
        written, not as a value built from a variable, while injector's API
        takes keys as ``type[T]``; this is where that gap is crossed, once.
        """
        annotated: object = Annotated[GrpcClient, GrpcClientName.check(name)]
        return cast(type[GrpcClient], annotated)
