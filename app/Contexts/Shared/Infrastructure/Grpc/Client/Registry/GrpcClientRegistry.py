import os
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType

import structlog

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientAlreadyRegistered import (
    GrpcClientAlreadyRegistered,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.UnknownGrpcClient import (
    UnknownGrpcClient,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.GrpcClientEnvironment import (
    GrpcClientEnvironment,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.GrpcClientName import GrpcClientName
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

ClientFactory = Callable[[GrpcClientSettings], GrpcClient]
_log = structlog.get_logger("grpc.client")


class GrpcClientRegistry:
    """The downstream services a process calls: registered once by name, one shared client each.

    The environment is read when a service is registered, at start-up: a bad
    variable stops the process before it serves a request rather than failing
    the first one, and what ``services()`` lists is what the clients use. A
    change to a variable later is not seen, as a running client's connection
    would not follow it anyway. A client is made on the first ``get`` of its
    name and shared from then on, since a client is a connection.
    ``close_all()`` closes them at shutdown; ``get`` then refuses rather than
    open a connection nothing would close.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        client_factory: ClientFactory = GrpcClient.from_settings,
    ) -> None:
        if environ is not None and not isinstance(environ, Mapping):
            raise InvalidGrpcClientSettings(
                "environ must be a mapping of variable names to values (None reads os.environ), "
                f"got {type(environ).__qualname__}"
            )
        self._environment = GrpcClientEnvironment(os.environ if environ is None else environ)
        self._client_factory = client_factory
        self._settings: dict[str, GrpcClientSettings] = {}
        self._clients: dict[str, GrpcClient] = {}
        self._lock = threading.Lock()
        self._closed = False
        AfterFork.register(self, in_child=GrpcClientRegistry._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    def register(self, name: str, settings: GrpcClientSettings | str) -> GrpcClientSettings:
        """Register ``name`` with ``settings`` (or just a target) as the environment overrides them.

        Returns the settings its client will use.
        """
        name = GrpcClientName.check(name)
        registered = self._settings_of(settings)
        with self._lock:
            self._refuse_twice(name)
            effective, variables = self._environment.apply(name, registered)
            self._settings[name] = effective
        _log.info(
            "grpc.client.registered",
            service=name,
            target=effective.target,
            environment=list(variables),
        )
        return effective

    def get(self, name: str) -> GrpcClient:
        """The one client of ``name``, made on first use; concurrent first uses make one."""
        with self._lock:
            if self._closed:
                raise GrpcClientClosed(
                    f"the client registry is closed (close_all() was called); no client for "
                    f"{name!r} is handed out after shutdown"
                )
            client = self._clients.get(name)
            if client is None:
                client = self._clients[name] = self._client_factory(self._known(name))
            return client

    def settings(self, name: str) -> GrpcClientSettings:
        """The effective settings of ``name``: the registered ones, with the environment's."""
        with self._lock:
            return self._known(name)

    def services(self) -> Mapping[str, GrpcClientSettings]:
        """Every registered name and its effective settings, in the order they were registered."""
        with self._lock:
            return MappingProxyType(dict(self._settings))

    def close_all(self) -> None:
        """Close every client this registry made; safe twice. Settings stay listed."""
        with self._lock:
            self._closed = True
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _known(self, name: str) -> GrpcClientSettings:
        settings = self._settings.get(name)
        if settings is None:
            known = ", ".join(repr(known) for known in sorted(self._settings)) or "none"
            raise UnknownGrpcClient(
                f"no gRPC client is registered as {name!r}; registered: {known}"
            )
        return settings

    def _refuse_twice(self, name: str) -> None:
        prefix = GrpcClientName.prefix(name)
        for other in self._settings:
            if other == name:
                raise GrpcClientAlreadyRegistered(
                    f"{name!r} is already registered; register each service once, at start-up"
                )
            if GrpcClientName.prefix(other) == prefix:
                raise GrpcClientAlreadyRegistered(
                    f"{name!r} would read the same {prefix}* variables as {other!r}, "
                    "registered before; use one spelling"
                )

    @staticmethod
    def _settings_of(settings: GrpcClientSettings | str) -> GrpcClientSettings:
        if isinstance(settings, str):
            return GrpcClientSettings.create(settings)
        if isinstance(settings, GrpcClientSettings):
            return settings
        raise InvalidGrpcClientSettings(
            "settings must be a target such as 'users:50051' or GrpcClientSettings.create(...), "
            f"got {type(settings).__name__}"
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"clients open: {len(self._clients)}"
        return f"<GrpcClientRegistry {list(self._settings)} {state}>"
