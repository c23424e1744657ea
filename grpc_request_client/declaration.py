"""How options are declared: each field's check, environment variable and channel option."""

import dataclasses
import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from grpc_request_client.errors import InvalidGrpcClientSettings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


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
                close = DeclaredSettings.closest(name, known)
                hint = f"did you mean {close!r}?" if close else f"the options are {known}"
                raise InvalidGrpcClientSettings(f"unknown option {name!r}; {hint}")

    @staticmethod
    def closest(name: str, known: Iterable[str]) -> str | None:
        """The one of ``known`` a misspelt ``name`` most likely meant; ``None`` if none is close.

        ``difflib.get_close_matches``' rule: the best similarity ratio, at least 0.6.
        """
        return next(iter(difflib.get_close_matches(name, list(known), n=1)), None)

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


_T = TypeVar("_T")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NONE = "none"


class EnvironmentValue:
    """Reads the text of one variable as the value a setting takes.

    A ``ValueError`` says what the text should have been and quotes it; none
    of these reads a secret, whose own checks never repeat it.
    """

    @staticmethod
    def text(raw: str) -> str:
        return raw

    @staticmethod
    def integer(raw: str) -> int:
        return EnvironmentValue._converted(int, raw, "a whole number")

    @staticmethod
    def number(raw: str) -> float:
        return EnvironmentValue._converted(float, raw, "a number")

    @staticmethod
    def boolean(raw: str) -> bool:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(f"must be one of {sorted(_TRUE)} or {sorted(_FALSE)}, got {raw!r}")

    @staticmethod
    def status_codes(raw: str) -> frozenset[grpc.StatusCode]:
        """Comma-separated names (``UNAVAILABLE,DEADLINE_EXCEEDED``); ``none`` for no code."""
        if raw.lower() == _NONE:
            return frozenset()
        names = [name.strip().upper() for name in raw.split(",")]
        unknown = [name for name in names if name not in grpc.StatusCode.__members__]
        if unknown:
            raise ValueError(f"must be grpc status code names separated by ',', got {raw!r}")
        return frozenset(grpc.StatusCode[name] for name in names)

    @staticmethod
    def pem(raw: str) -> bytes | str:
        """PEM text itself (as secrets are often handed to a container), or a file's path."""
        return raw.encode() if "-----BEGIN" in raw else raw

    @staticmethod
    def _converted(convert: Callable[[str], _T], raw: str, what: str) -> _T:
        """Python's own message names its function (``int()``), not what the variable wants."""
        try:
            return convert(raw)
        except ValueError:
            raise ValueError(f"must be {what}, got {raw!r}") from None

    @staticmethod
    def optional(read: Callable[[str], _T]) -> Callable[[str], _T | None]:
        """``read``, or ``None`` for the text ``none``: the setting's own "not set"."""

        def read_optional(raw: str) -> _T | None:
            return None if raw.lower() == _NONE else read(raw)

        return read_optional


NamedParse = Callable[[object, type[Exception], str], Any]


class SettingCheck:
    """The one dialect of the settings' checks: each returns a ``parse`` for a declaration.

    Every refusal is an ``InvalidGrpcClientSettings`` that names the field and
    quotes the value. ``True`` and ``False`` are ints to Python but never a
    count or a number of seconds, so no number check takes them.
    """

    @staticmethod
    def count(least: int, most: int | None = None) -> Parse:
        """A whole number (an ``int``) from ``least`` to ``most`` (unbounded when ``None``)."""
        span = f"of at least {least}" if most is None else f"from {least} to {most}"

        def parse(value: object, name: str) -> int:
            if type(value) is int and least <= value and (most is None or value <= most):
                return value
            raise InvalidGrpcClientSettings(f"{name} must be an int {span}, got {value!r}")

        return parse

    @staticmethod
    def number(accept: Callable[[float], bool], says: str) -> Parse:
        """A real number, as a float, that ``accept`` takes; ``says`` what it must be."""

        def parse(value: object, name: str) -> float:
            number = _as_float(value)
            if number is not None and accept(number):
                return number
            raise InvalidGrpcClientSettings(f"{name} must be {says}, got {value!r}")

        return parse

    @staticmethod
    def text(accept: Callable[[str], bool], says: str) -> Parse:
        """A non-empty ``str`` that ``accept`` takes; ``says`` what it must be."""

        def parse(value: object, name: str) -> str:
            if isinstance(value, str) and value and accept(value):
                return value
            raise InvalidGrpcClientSettings(f"{name} must be {says}, got {value!r}")

        return parse

    @staticmethod
    def named(parse: NamedParse) -> Parse:
        """A check of the ``parse(value, error, what)`` form shared with requests."""
        return lambda value, name: parse(value, InvalidGrpcClientSettings, name)

    @staticmethod
    def optional(parse: Parse) -> Parse:
        """``None`` (the setting's "not set"), or what ``parse`` takes."""
        return lambda value, name: None if value is None else parse(value, name)

    @staticmethod
    def flag(value: object, name: str) -> bool:
        if type(value) is bool:
            return value
        raise InvalidGrpcClientSettings(f"{name} must be a bool (True or False), got {value!r}")

    @staticmethod
    def choice(*choices: str) -> Parse:
        def parse(value: object, name: str) -> str:
            if isinstance(value, str) and value in choices:
                return value
            listed = " or ".join(repr(choice) for choice in choices)
            raise InvalidGrpcClientSettings(f"{name} must be {listed}, got {value!r}")

        return parse

    @staticmethod
    def status_codes(value: object, name: str) -> frozenset[grpc.StatusCode]:
        """A frozenset of grpc status codes, without OK: OK is a success, never a failure."""
        if not isinstance(value, frozenset) or not all(
            isinstance(code, grpc.StatusCode) for code in value
        ):
            raise InvalidGrpcClientSettings(
                f"{name} must be a frozenset of grpc.StatusCode, got {value!r}"
            )
        if grpc.StatusCode.OK in value:
            raise InvalidGrpcClientSettings(f"{name} cannot hold OK: OK is a success")
        return value

    @staticmethod
    def policy(kind: type) -> Parse:
        """An instance of ``kind``; ``None`` for ``kind()``, its defaults."""

        def parse(value: object, name: str) -> object:
            if value is None:
                return kind()
            if isinstance(value, kind):
                return value
            raise InvalidGrpcClientSettings(
                f"{name} must be a {kind.__name__} (None for its defaults), "
                f"got {type(value).__name__}"
            )

        return parse

    @staticmethod
    def instance(kind: type) -> Parse:
        """An instance of ``kind``, or ``None`` for none at all."""

        def parse(value: object, name: str) -> object:
            if value is None or isinstance(value, kind):
                return value
            raise InvalidGrpcClientSettings(
                f"{name} must be a {kind.__name__} or None, got {type(value).__name__}"
            )

        return parse


def _as_float(value: object) -> float | None:
    """``value`` as a float, or ``None`` for a bool, a non-number or one no float holds.

    ``float(10**400)`` raises ``OverflowError`` and ``float(Decimal("sNaN"))``
    ``ValueError``: either is a setting to refuse by name, not an error to leak.
    """
    if not isinstance(value, Real) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (OverflowError, ValueError):
        return None
