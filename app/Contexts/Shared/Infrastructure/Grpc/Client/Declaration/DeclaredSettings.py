import dataclasses
import difflib
import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.SettingDeclaration import (
    SettingDeclaration,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Function = TypeVar("_Function", bound=Callable[..., Any])
Declared = tuple[tuple[dataclasses.Field[Any], SettingDeclaration], ...]


class DeclaredSettings:
    """The one loop over a settings dataclass's declarations, and what is derived from them.

    Each field of a settings class carries a ``SettingDeclaration`` (see
    ``GrpcClientSettings``); checking a value, listing the keywords a
    constructor takes, and the environment's variables are all read from there.
    """

    @staticmethod
    def declared(kind: "type[DataclassInstance] | DataclassInstance") -> Declared:
        return tuple((field, SettingDeclaration.of(field)) for field in dataclasses.fields(kind))

    @staticmethod
    def normalize(settings: "DataclassInstance", label: str = "") -> None:
        """Run every field's ``parse`` and store what it returns, in a frozen instance too.

        ``label`` starts each field's name in messages (``"keepalive "``).
        Raises what the first refused field's ``parse`` raises.
        """
        for field, declaration in DeclaredSettings.declared(settings):
            value = declaration.parse(getattr(settings, field.name), label + field.name)
            object.__setattr__(settings, field.name, value)

    @staticmethod
    def refuse_unknown(kind: "type[DataclassInstance]", given: Iterable[str]) -> None:
        """Raise ``InvalidGrpcClientSettings`` for a name no field has, with the closest one."""
        known = [field.name for field in dataclasses.fields(kind)]
        for name in given:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"the options are {known}"
                raise InvalidGrpcClientSettings(f"unknown option {name!r}; {hint}")

    @staticmethod
    def signed(kind: "type[DataclassInstance]", *, after: str) -> Callable[[_Function], _Function]:
        """Give a function of ``**options`` a signature listing ``kind``'s fields after ``after``.

        For ``help()``, IDEs and ``inspect``: each option keyword-only, with the
        type it accepts and its default; the function's own parameters stay.
        """

        def sign(function: _Function) -> _Function:
            function.__dict__["__signature__"] = DeclaredSettings._signature(function, kind, after)
            return function

        return sign

    @staticmethod
    def _signature(
        function: Callable[..., Any], kind: "type[DataclassInstance]", after: str
    ) -> inspect.Signature:
        own = inspect.signature(function)
        kept = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        names = [field.name for field in dataclasses.fields(kind)]
        options = [
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=DeclaredSettings._default(field),
                annotation=declaration.accepts or field.type,
            )
            for field, declaration in DeclaredSettings.declared(kind)[names.index(after) + 1 :]
        ]
        return own.replace(parameters=[*kept, *options])

    @staticmethod
    def _default(field: dataclasses.Field[Any]) -> object:
        if field.default_factory is not dataclasses.MISSING:
            return field.default_factory()
        if field.default is not dataclasses.MISSING:
            return field.default
        return inspect.Parameter.empty
