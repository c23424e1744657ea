"""Named clients configured from settings and the environment (``<NAME>_GRPC_<OPTION>``)."""

import asyncio
import dataclasses
import inspect
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from logging import INFO
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from grpc_request_client.client import GrpcClient, Stages, checked_stages
from grpc_request_client.declaration import DeclaredSettings, EnvironmentValue, SettingDeclaration
from grpc_request_client.discovery import EnvironmentServiceRegistry, ServiceRegistry
from grpc_request_client.errors import (
    GrpcClientAlreadyRegistered,
    GrpcClientClosed,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientName,
    InvalidGrpcClientSettings,
    ServiceDiscoveryError,
    UnknownGrpcClient,
)
from grpc_request_client.lifecycle import AfterFork, ClosesOnExit
from grpc_request_client.logs import LibraryLog
from grpc_request_client.request import GrpcRequest, ReplyT_co
from grpc_request_client.response import GrpcResponse
from grpc_request_client.settings import GrpcClientSettings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


_Settings = TypeVar("_Settings", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class EnvironmentOverride:
    """One variable: what follows the service's prefix, the field it sets, how its text is read.

    A value that cannot be read, or that the settings refuse, raises
    ``InvalidGrpcClientEnvironment`` naming the variable. An empty variable is
    refused rather than ignored: it is what a template that lost its value
    leaves behind.
    """

    suffix: str
    field: str
    read: Callable[[str], object]

    def is_set(self, prefix: str, environ: Mapping[str, str]) -> bool:
        return prefix + self.suffix in environ

    def value(self, prefix: str, environ: Mapping[str, str]) -> object:
        variable = prefix + self.suffix
        raw = environ[variable].strip()
        if not raw:
            raise InvalidGrpcClientEnvironment(
                variable, "is empty; unset it to keep the registered setting"
            )
        with self.blaming(variable):
            return self.read(raw)

    def apply(self, prefix: str, settings: _Settings, value: object) -> _Settings:
        with self.blaming(prefix + self.suffix):
            return dataclasses.replace(settings, **{self.field: value})

    @staticmethod
    @contextmanager
    def blaming(variables: str) -> Iterator[None]:
        """A setting's own check speaks of its field; the person to fix it needs the variable."""
        try:
            yield
        except InvalidGrpcClientEnvironment:
            raise
        except ValueError as error:
            raise InvalidGrpcClientEnvironment(variables, str(error)) from error


Found = Mapping[EnvironmentOverride, Any]


@dataclass(frozen=True, slots=True)
class EnvironmentField:
    """The variables of one settings field, made from its ``SettingDeclaration``.

    A plain field has one variable (``own``). A nested policy has one per field
    of its own (``members``, ``<FIELD>_<MEMBER>``) and, with ``switch``, a
    true/false ``own`` variable that turns it on or off (``TLS``). A policy the
    registered settings lack (``None``) is made from the variables given, which
    must then include every field its constructor requires.
    """

    field: str
    own: EnvironmentOverride | None
    members: tuple[EnvironmentOverride, ...]
    nested: type | None

    @staticmethod
    def of(setting: dataclasses.Field[Any], declaration: SettingDeclaration) -> "EnvironmentField":
        suffix, nested = declaration.env, declaration.nested
        if suffix is None:
            return EnvironmentField(setting.name, None, (), None)
        if nested is None:
            own = EnvironmentOverride(
                suffix, setting.name, declaration.read or EnvironmentValue.text
            )
            return EnvironmentField(setting.name, own, (), None)
        switch = EnvironmentOverride(suffix, setting.name, EnvironmentValue.boolean)
        members = tuple(
            EnvironmentOverride(
                f"{suffix}_{member.env}", field.name, member.read or EnvironmentValue.text
            )
            for field, member in DeclaredSettings.declared(nested)
            if member.env is not None
        )
        return EnvironmentField(
            setting.name, switch if declaration.switch else None, members, nested
        )

    def overrides(self) -> tuple[EnvironmentOverride, ...]:
        return (*(() if self.own is None else (self.own,)), *self.members)

    def apply(self, prefix: str, settings: Any, found: Found) -> Any:
        """``settings`` with this field as the variables in ``found`` set it."""
        used = [override for override in self.overrides() if override in found]
        if not used:
            return settings
        if self.nested is None:
            return used[0].apply(prefix, settings, found[used[0]])
        variables = ", ".join(prefix + override.suffix for override in used)
        values = {override.field: found[override] for override in self.members if override in found}
        off = self.own is not None and found.get(self.own) is False
        with EnvironmentOverride.blaming(variables):
            if off:
                self._refuse_values_when_off(values)
            registered = getattr(settings, self.field)
            policy = (
                None if off else self._policy(self.nested, prefix, variables, registered, values)
            )
            return dataclasses.replace(settings, **{self.field: policy})

    def _refuse_values_when_off(self, values: dict[str, Any]) -> None:
        if values:
            raise InvalidGrpcClientSettings(
                f"{self.field} is turned off and given settings at once; unset one or the other"
            )

    def _policy(
        self, nested: type, prefix: str, variables: str, registered: Any, values: dict[str, Any]
    ) -> object:
        """The registered policy with ``values``; a new one when none is registered."""
        if registered is not None:
            return dataclasses.replace(registered, **values)
        self._refuse_missing(nested, prefix, variables, values)
        return nested(**values)

    def _refuse_missing(
        self, nested: type, prefix: str, variables: str, values: dict[str, Any]
    ) -> None:
        """A policy that is off is turned on only by the variables of the fields it requires."""
        parameters = inspect.signature(nested).parameters.values()
        required = {p.name for p in parameters if p.default is inspect.Parameter.empty}
        missing = [o for o in self.members if o.field in required and o.field not in values]
        if missing:
            turns_on = " and ".join(prefix + override.suffix for override in missing)
            raise InvalidGrpcClientEnvironment(
                variables, f"{self.field} is off for this service; {turns_on} turns it on"
            )


_NAME = re.compile(r"[A-Za-z0-9]+(?:[-._][A-Za-z0-9]+)*")


class GrpcClientName:
    """The names downstream services are registered by, and the variables they become.

    A name is the start of environment variable names, so it is letters and
    digits joined by ``-``, ``.`` or ``_``: ``user-service`` reads
    ``USER_SERVICE_GRPC_TARGET``. The rule is ``EnvironmentServiceRegistry``'s,
    so one deployment's ``USER_SERVICE_GRPC_HOST`` serves both.
    """

    @staticmethod
    def check(name: object) -> str:
        if isinstance(name, str) and _NAME.fullmatch(name):
            return name
        raise InvalidGrpcClientName(
            "a client name must be letters and digits joined by '-', '.' or '_' "
            f"(it starts the names of its environment variables), got {name!r}"
        )

    @staticmethod
    def prefix(name: str) -> str:
        """``user-service`` and ``user.service`` give ``USER_SERVICE_GRPC_``."""
        return name.replace("-", "_").replace(".", "_").upper() + "_GRPC_"


_TARGET, *_FIELDS = (
    EnvironmentField.of(setting, declaration)
    for setting, declaration in DeclaredSettings.declared(GrpcClientSettings)
)
_ALL = tuple(override for field in (_TARGET, *_FIELDS) for override in field.overrides())

# What follows a service's prefix in a variable of another service whose name starts with its own.
_ANOTHER_SERVICE = re.compile(r"(?:^|_)GRPC_")
# Settings that no longer exist: refused, so a deployment learns at start-up that one is ignored.
_RETIRED = {
    "CIRCUIT_BREAKER_FAILURE_THRESHOLD": (
        "no longer exists: the circuit breaker opens on a failure rate now; "
        "see CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD and CIRCUIT_BREAKER_MINIMUM_CALLS"
    ),
}


class GrpcClientEnvironment:
    """Overrides a registered service's settings with ``<PREFIX>_GRPC_<SETTING>`` variables.

    Code states what a service needs; the deployment states where it runs and
    how patient to be with it. Each variable is declared by its field (the
    ``env`` of its ``SettingDeclaration``): every ``GrpcClientSettings`` field
    but ``options`` has one, the field upper-cased (``default_timeout`` is
    ``TIMEOUT``), and ``<POLICY>_<FIELD>`` for a field of the retry,
    circuit-breaker, bulkhead, keepalive or TLS settings. The target may also
    come as ``EnvironmentServiceRegistry``'s ``_GRPC_HOST`` and ``_GRPC_PORT``.
    Every value is read before any applies, so a value that does not parse is
    reported as such, not as whatever a half-applied setting would make of it.
    A variable of a setting that no longer exists (``CIRCUIT_BREAKER_FAILURE_THRESHOLD``)
    raises ``InvalidGrpcClientEnvironment`` instead of being ignored, and so does
    any other variable with the service's prefix that is none of its settings
    (``USERS_GRPC_DEFAULT_TIMEOUT``), naming the closest one (``USERS_GRPC_TIMEOUT``)
    as ``GrpcClientSettings`` names a misspelt keyword. Only a variable whose rest
    holds ``GRPC_`` as a word may be another service's (``users-grpc-admin`` reads
    ``USERS_GRPC_ADMIN_GRPC_*``), so it is left alone.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    @staticmethod
    def variables(name: str) -> tuple[str, ...]:
        """Every variable read for ``name``: the target's, then each setting's in field order."""
        host, port = EnvironmentServiceRegistry.variables(name)
        prefix = GrpcClientName.prefix(name)
        return (prefix + _ALL[0].suffix, host, port, *(prefix + o.suffix for o in _ALL[1:]))

    def apply(
        self, name: str, settings: GrpcClientSettings
    ) -> tuple[GrpcClientSettings, tuple[str, ...]]:
        """The settings the environment makes of ``settings``, and the variables it used.

        Fields apply in their declared order (TLS before the bearer token it
        carries), each blamed on its own variables.
        """
        prefix = GrpcClientName.prefix(name)
        self._refuse_retired(prefix)
        self._refuse_unknown(name, prefix)
        found = {o: o.value(prefix, self._environ) for o in _ALL if o.is_set(prefix, self._environ)}
        settings = self._target(name, prefix, settings, found)
        for field in _FIELDS:
            settings = field.apply(prefix, settings, found)
        return settings, tuple(v for v in self.variables(name) if v in self._environ)

    def _refuse_retired(self, prefix: str) -> None:
        for suffix, reason in _RETIRED.items():
            if prefix + suffix in self._environ:
                raise InvalidGrpcClientEnvironment(prefix + suffix, reason)

    def _refuse_unknown(self, name: str, prefix: str) -> None:
        """The first variable, in sorted order, with ``prefix`` that ``name`` does not read."""
        read = self.variables(name)
        for variable in sorted(self._environ):
            rest = variable.removeprefix(prefix)
            if rest != variable and variable not in read and not _ANOTHER_SERVICE.search(rest):
                suffixes = [known.removeprefix(prefix) for known in read]
                closest = DeclaredSettings.closest(rest, suffixes)
                hint = (
                    f"did you mean {prefix}{closest}?"
                    if closest
                    else f"the variables read for it are {', '.join(read)}"
                )
                raise InvalidGrpcClientEnvironment(
                    variable, f"is not a setting of the {name!r} client; {hint}"
                )

    def _target(
        self, name: str, prefix: str, settings: GrpcClientSettings, found: Found
    ) -> GrpcClientSettings:
        given = [v for v in EnvironmentServiceRegistry.variables(name) if v in self._environ]
        variable = prefix + _ALL[0].suffix
        if variable in self._environ and given:
            raise InvalidGrpcClientEnvironment(
                variable, f"and {' and '.join(given)} both give the address; keep one of them"
            )
        if variable in self._environ or not given:
            result: GrpcClientSettings = _TARGET.apply(prefix, settings, found)
            return result
        try:
            target = EnvironmentServiceRegistry(self._environ).discover(name)
        except ServiceDiscoveryError as error:
            raise InvalidGrpcClientEnvironment(", ".join(given), str(error)) from error
        with EnvironmentOverride.blaming(", ".join(given)):
            return dataclasses.replace(settings, target=target)


# Called as factory(settings), or factory(settings, stages=...) when the registry has stages.
ClientFactory = Callable[..., GrpcClient]
_log = LibraryLog("registry")


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

    ``stages`` (``GrpcCallStage``s, outermost first) go on every client the
    registry makes, so tracing and metrics are set up once for all of them:
    ``GrpcClientRegistry(stages=[OpenTelemetryClientStage(), PrometheusClientMetrics()])``.
    The same stage objects serve every client, as one stage given to several
    clients does. ``client_factory`` makes each client from its effective
    settings (``GrpcClient.from_settings`` unless given; a test hands out
    ``FakeGrpcClient.from_settings``); with stages it is called with
    ``stages=`` too, and a factory that adds stages of its own puts them after
    the registry's. Raises ``InvalidGrpcClientSettings`` for an ``environ``
    that is no mapping, stages that are not a list or tuple of
    ``GrpcCallStage``, and stages with a factory that takes no ``stages=``.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        client_factory: ClientFactory = GrpcClient.from_settings,
        stages: Stages = (),
    ) -> None:
        if environ is not None and not isinstance(environ, Mapping):
            raise InvalidGrpcClientSettings(
                "environ must be a mapping of variable names to values (None reads os.environ), "
                f"got {type(environ).__qualname__}"
            )
        self._environment = GrpcClientEnvironment(os.environ if environ is None else environ)
        self._stages = checked_stages(stages)
        self._client_factory = client_factory
        if self._stages:
            self._refuse_a_factory_without_stages(client_factory)
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

        Returns the settings its client will use. Raises ``InvalidGrpcClientEnvironment``
        for a ``<NAME>_GRPC_*`` variable whose value is unusable or that is no
        setting (see ``GrpcClientEnvironment``), and nothing is registered then.
        """
        name = GrpcClientName.check(name)
        registered = self._settings_of(settings)
        with self._lock:
            self._refuse_twice(name)
            effective, variables = self._environment.apply(name, registered)
            self._settings[name] = effective
        _log.log(
            INFO,
            "grpc.client.registered",
            {"service": name, "target": effective.target, "environment": list(variables)},
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
                client = self._clients[name] = self._made(self._known(name))
            return client

    def _made(self, settings: GrpcClientSettings) -> GrpcClient:
        if self._stages:
            return self._client_factory(settings, stages=self._stages)
        return self._client_factory(settings)

    @staticmethod
    def _refuse_a_factory_without_stages(factory: ClientFactory) -> None:
        """A factory whose signature cannot take ``stages=`` would fail at the first ``get``.

        One whose signature cannot be read (a builtin, say) is taken on trust.
        """
        try:
            signature = inspect.signature(factory)
        except (TypeError, ValueError):
            return
        try:
            signature.bind(None, stages=())
        except TypeError:
            raise InvalidGrpcClientSettings(
                f"client_factory {factory!r} takes no stages= keyword; with stages, the registry "
                "calls it as factory(settings, stages=(...)), its stages first"
            ) from None

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

    def call_service(
        self, service_name: str, request: GrpcRequest[ReplyT_co]
    ) -> GrpcResponse[ReplyT_co]:
        return self.get_client(service_name).call(request)

    async def call_service_async(
        self, service_name: str, request: GrpcRequest[ReplyT_co]
    ) -> GrpcResponse[ReplyT_co]:
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
