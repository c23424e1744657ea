import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientEnvironment import (
    InvalidGrpcClientEnvironment,
)

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
