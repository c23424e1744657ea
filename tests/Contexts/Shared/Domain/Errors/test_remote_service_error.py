import sys
from pathlib import Path

from app.Contexts.Shared.Domain import Errors
from app.Contexts.Shared.Domain.Errors.RemoteServiceError import RemoteServiceError
from app.Contexts.Shared.Domain.Errors.RemoteServiceUnavailable import RemoteServiceUnavailable


def test_the_message_quotes_the_status_and_what_the_other_side_said() -> None:
    error = RemoteServiceUnavailable("UNAVAILABLE", "connection refused")

    assert str(error) == "UNAVAILABLE: connection refused"
    assert (error.status, error.details) == ("UNAVAILABLE", "connection refused")


def test_without_details_the_message_is_the_status_alone() -> None:
    assert str(RemoteServiceError("INTERNAL")) == "INTERNAL"


def test_one_clause_catches_every_remote_failure() -> None:
    assert all(issubclass(getattr(Errors, name), RemoteServiceError) for name in Errors.__all__)


def test_the_package_exports_exactly_the_classes_of_its_modules() -> None:
    folder = Path(Errors.__file__).parent
    modules = {path.stem for path in folder.glob("*.py")} - {"__init__"}

    assert set(Errors.__all__) == modules


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = sys.modules[RemoteServiceError.__module__].__doc__ or ""

    assert all(name in doc for name in Errors.__all__)
