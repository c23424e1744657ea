import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.DeclaredSettings import (
    DeclaredSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.EnvironmentValue import (
    EnvironmentValue,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.SettingDeclaration import (
    SettingDeclaration,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientEnvironment import (
    InvalidGrpcClientEnvironment,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.EnvironmentOverride import (
    EnvironmentOverride as Override,
)

Found = Mapping[Override, Any]


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
    own: Override | None
    members: tuple[Override, ...]
    nested: type | None

    @staticmethod
    def of(setting: dataclasses.Field[Any], declaration: SettingDeclaration) -> "EnvironmentField":
        suffix, nested = declaration.env, declaration.nested
        if suffix is None:
            return EnvironmentField(setting.name, None, (), None)
        if nested is None:
            own = Override(suffix, setting.name, declaration.read or EnvironmentValue.text)
            return EnvironmentField(setting.name, own, (), None)
        switch = Override(suffix, setting.name, EnvironmentValue.boolean)
        members = tuple(
            Override(f"{suffix}_{member.env}", field.name, member.read or EnvironmentValue.text)
            for field, member in DeclaredSettings.declared(nested)
            if member.env is not None
        )
        return EnvironmentField(
            setting.name, switch if declaration.switch else None, members, nested
        )

    def overrides(self) -> tuple[Override, ...]:
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
        with Override.blaming(variables):
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
