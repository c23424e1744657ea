"""``injector`` wiring: a module that binds named clients from a ``GrpcClientRegistry``."""

from collections.abc import Callable
from typing import Annotated, Any, cast, get_args, get_origin

from injector import Binder, Binding, CallableProvider, Module, singleton

from grpc_request_client.client import GrpcClient
from grpc_request_client.errors import UnknownGrpcClient
from grpc_request_client.registry import GrpcClientName, GrpcClientRegistry

GetBinding = Callable[[Any], tuple[Binding, Binder]]


class GrpcClientsModule(Module):
    """Makes each registered service injectable as ``Annotated[GrpcClient, "<name>"]``.

    Code that needs a service declares a key once (``UsersGrpcClient =
    Annotated[GrpcClient, "users"]``) and takes it in an ``@inject``
    constructor; which target, timeout or TLS that means stays in the registry.
    Each key is a singleton whose provider is ``registry.get(name)``, so a
    client is still made on first use and shared with code that asks the
    registry directly. The registry is bound too, for ``close_all()`` at
    shutdown. Names are bound when the ``Injector`` is made: register first.

    A ``GrpcClient`` key nothing bound (a name never registered, or registered
    after the ``Injector`` was made, or ``GrpcClient`` without a name) raises
    ``UnknownGrpcClient`` where the object graph asks for it, saying which and
    listing the registered names, where injector would build ``GrpcClient()``
    with no target and fail on that (see ``UnboundClientKeys``).
    """

    def __init__(self, registry: GrpcClientRegistry) -> None:
        self._registry = registry

    def configure(self, binder: Binder) -> None:
        binder.bind(GrpcClientRegistry, to=self._registry)
        for name in self._registry.services():
            binder.bind(self.key(name), to=self._provider(name), scope=singleton)
        refusing = UnboundClientKeys(binder, self._registry)
        binder.get_binding = refusing  # type: ignore[method-assign]  # see UnboundClientKeys

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


class UnboundClientKeys:
    """The binder's ``get_binding``, refusing a ``GrpcClient`` key no binding was made for.

    injector has no hook for a key nobody bound: by default it binds it to its
    class on the spot (``auto_bind``), and ``GrpcClient()`` then fails with
    ``CallError`` over a missing ``target``, or raises ``UnsatisfiedRequirement``
    without ``auto_bind``; neither says which names exist. So the module puts
    this in place of its binder's ``get_binding``, which ``Injector.get`` asks
    for every key: a ``GrpcClient`` or ``Annotated[GrpcClient, ...]`` key that
    neither this binder nor a parent binds explicitly raises ``UnknownGrpcClient``
    instead; every other key goes through untouched. A child injector's own
    binder is not wrapped: it keeps injector's behaviour.
    """

    def __init__(self, binder: Binder, registry: GrpcClientRegistry) -> None:
        self._binder = binder
        self._get_binding: GetBinding = binder.get_binding
        self._registry = registry

    def __call__(self, interface: Any) -> tuple[Binding, Binder]:
        if _is_client_key(interface) and not self._bound(interface):
            raise UnknownGrpcClient(self._unbound(interface))
        return self._get_binding(interface)

    def _bound(self, interface: object) -> bool:
        binder: Binder | None = self._binder
        while binder is not None:
            if binder.has_explicit_binding_for(cast(type, interface)):
                return True
            binder = binder.parent
        return False

    def _unbound(self, interface: object) -> str:
        registered = self._registry.services()
        known = "registered: " + (", ".join(repr(name) for name in sorted(registered)) or "none")
        name = _name_in(interface)
        if name is None:
            shown = "GrpcClient" if interface is GrpcClient else repr(interface)
            return (
                f"{shown} is no client's key: a client is injected by its registered name, "
                f"as Annotated[GrpcClient, '<name>']; {known}"
            )
        if name in registered:
            return (
                f"Annotated[GrpcClient, {name!r}] is not bound: {name!r} was registered after "
                "this Injector was made; register every service before making the Injector"
            )
        return (
            f"Annotated[GrpcClient, {name!r}] is not bound: no gRPC client is registered as "
            f"{name!r}; {known}"
        )


def _is_client_key(interface: object) -> bool:
    """``GrpcClient`` itself, or ``Annotated[GrpcClient, ...]``."""
    if interface is GrpcClient:
        return True
    return get_origin(interface) is Annotated and get_args(interface)[0] is GrpcClient


def _name_in(interface: object) -> str | None:
    """The name in ``Annotated[GrpcClient, name]``; ``None`` for a key of any other shape."""
    metadata: tuple[object, ...] = getattr(interface, "__metadata__", ())
    match metadata:
        case (str() as name,):
            return name
        case _:
            return None
