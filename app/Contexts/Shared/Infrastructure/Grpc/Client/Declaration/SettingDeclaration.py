import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Parse = Callable[[object, str], Any]
Read = Callable[[str], object]
_KEY = "setting"


def _unchanged(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class SettingDeclaration:
    """What a settings field is besides its name, type and default; kept in its field's metadata.

    ``parse(value, name)`` returns the value to store: the value itself, or the
    canonical form of a forgiving spelling (a compression's name, options as a
    dict). It raises ``InvalidGrpcClientSettings`` (or a subclass) naming
    ``name`` for anything else, and runs on every construction, so the plain
    constructor, ``create()`` and ``dataclasses.replace`` are checked alike.
    ``env`` is the variable's suffix after ``<NAME>_GRPC_`` (after the parent
    field's for a field of a nested policy) and ``read`` turns its text into a
    value ``parse`` takes; a field without ``env`` has no variable. ``nested``
    names the settings class of a field whose own fields have variables, and
    ``switch`` gives that field a true/false variable of its own (``TLS``).
    ``channel_option`` is the grpc channel argument the value becomes, made by
    ``to_channel`` (``None`` sets none); ``accepts`` is what the constructor
    takes when it is wider than the field's type, for signatures.
    """

    parse: Parse
    env: str | None = None
    read: Read | None = None
    nested: type | None = None
    switch: bool = False
    channel_option: str | None = None
    to_channel: Callable[[Any], Any] = _unchanged
    accepts: object = None

    @staticmethod
    def meta(parse: Parse, **declared: Any) -> Mapping[str, "SettingDeclaration"]:
        """A ``dataclasses.field``'s ``metadata=``: ``field(default=1, metadata=meta(check))``."""
        return {_KEY: SettingDeclaration(parse, **declared)}

    @staticmethod
    def of(field: dataclasses.Field[Any]) -> "SettingDeclaration":
        declaration = field.metadata.get(_KEY)
        if not isinstance(declaration, SettingDeclaration):
            raise TypeError(f"settings field {field.name} has no SettingDeclaration")
        return declaration
