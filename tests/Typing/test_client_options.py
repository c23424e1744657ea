"""``GrpcClientOptions`` is generated from ``GrpcClientSettings``' fields: it must be current.

A field added, removed or retyped without ``make options`` would leave mypy checking the
options against the old list, so the first test fails until the file is regenerated.
"""

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal

import grpc
import pytest

from grpc_request_client import GrpcClientOptions, GrpcClientSettings, RetryPolicy
from grpc_request_client.settings import ChannelOptions
from tests.Typing import generate_client_options
from tests.Typing.generate_client_options import GENERATED, TypeSource


def test_the_generated_options_are_up_to_date_with_the_settings_fields() -> None:
    assert GENERATED.read_text() == generate_client_options.source(), (
        f"{GENERATED.name} is out of date with GrpcClientSettings: run make options"
    )


def test_the_options_are_every_field_but_the_target_in_field_order_none_required() -> None:
    names = [field.name for field in dataclasses.fields(GrpcClientSettings)]

    assert list(GrpcClientOptions.__annotations__) == names[1:]
    assert GrpcClientOptions.__required_keys__ == frozenset()


def test_an_option_added_to_the_settings_leaves_the_file_out_of_date_until_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = generate_client_options.options()
    added = inspect.Parameter(
        "idle_timeout", inspect.Parameter.KEYWORD_ONLY, annotation=float | None
    )
    monkeypatch.setattr(generate_client_options, "options", lambda: [*declared, added])
    committed = GENERATED.read_text()

    regenerated = generate_client_options.source()

    assert "    idle_timeout: float | None\n" in regenerated
    assert regenerated != committed
    assert generate_client_options.main(["--check"]) == 1
    assert GENERATED.read_text() == committed  # --check writes nothing


@pytest.mark.parametrize(
    ("kind", "source", "imports"),
    [
        pytest.param(float | None, "float | None", {}, id="builtins"),
        pytest.param(RetryPolicy, "RetryPolicy", {"RetryPolicy": "grpc_request_client.policies"}),
        pytest.param(grpc.Compression, "Compression", {"Compression": "grpc"}, id="third-party"),
        pytest.param(
            Mapping[str, Callable[[], str]],
            "Mapping[str, Callable[[], str]]",
            {"Mapping": "collections.abc", "Callable": "collections.abc"},
            id="generics",
        ),
        pytest.param(ChannelOptions, "tuple[tuple[str, int | float | str | bool], ...]", {}),
        pytest.param(
            Literal["gzip", "none"] | Any,
            "Literal['gzip', 'none'] | Any",
            {"Literal": "typing", "Any": "typing"},
            id="special-forms",
        ),
    ],
)
def test_a_type_is_written_as_source_with_the_imports_it_needs(
    kind: object, source: str, imports: dict[str, str]
) -> None:
    written = TypeSource()

    assert written.of(kind) == source
    assert written.imports == imports


def test_a_type_from_the_settings_module_itself_is_refused_as_an_import_cycle() -> None:
    with pytest.raises(TypeError, match="imports the generated module"):
        TypeSource().of(GrpcClientSettings)


def test_two_option_types_of_one_name_from_two_modules_are_refused() -> None:
    other = type("Compression", (), {"__module__": "another.codec"})
    written = TypeSource()
    written.of(grpc.Compression)

    with pytest.raises(TypeError, match=r"named Compression: from grpc and another\.codec"):
        written.of(other)
