import contextlib
import dataclasses
import inspect
import math
import types
from decimal import Decimal
from typing import Any, get_args

import grpc
import pytest

from grpc_request_client import (
    BulkheadPolicy,
    CircuitBreakerPolicy,
    GrpcClient,
    GrpcClientError,
    GrpcClientSettings,
    InvalidGrpcClientSettings,
    KeepaliveSettings,
    RetryPolicy,
    TlsSettings,
)
from grpc_request_client.declaration import DeclaredSettings, SettingCheck, SettingDeclaration
from grpc_request_client.testing import FakeGrpcClient

# Each declared settings class, with what its constructor requires.
DECLARED: dict[type, dict[str, Any]] = {
    GrpcClientSettings: {"target": "localhost:50051"},
    RetryPolicy: {},
    CircuitBreakerPolicy: {},
    BulkheadPolicy: {},
    KeepaliveSettings: {"time_ms": 10_000},
    TlsSettings: {},
}
OPTIONS = [field.name for field in dataclasses.fields(GrpcClientSettings)][1:]


def _numeric(field: dataclasses.Field[Any]) -> bool:
    kinds = get_args(field.type) if isinstance(field.type, types.UnionType) else (field.type,)
    return int in kinds or float in kinds


NUMERIC = [
    pytest.param(kind, field.name, id=f"{kind.__name__}.{field.name}")
    for kind in DECLARED
    for field in dataclasses.fields(kind)
    if _numeric(field)
]


@pytest.mark.parametrize("kind", DECLARED)
def test_every_field_of_a_settings_class_is_declared(kind: type) -> None:
    for field in dataclasses.fields(kind):
        assert isinstance(SettingDeclaration.of(field), SettingDeclaration)


@pytest.mark.parametrize(("kind", "name"), NUMERIC)
def test_no_count_or_number_of_seconds_takes_a_bool(kind: type, name: str) -> None:
    for flag in (True, False):
        with pytest.raises(InvalidGrpcClientSettings, match=name):
            kind(**{**DECLARED[kind], name: flag})


def test_the_numeric_fields_found_are_the_counts_and_seconds_of_every_policy() -> None:
    names = {param.id for param in NUMERIC}

    assert {
        "GrpcClientSettings.default_timeout",
        "GrpcClientSettings.max_reconnect_backoff",
        "RetryPolicy.initial_backoff",
        "RetryPolicy.attempt_timeout",
        "CircuitBreakerPolicy.reset_timeout",
        "BulkheadPolicy.max_in_flight",
        "KeepaliveSettings.max_pings_without_data",
    } <= names


@pytest.mark.parametrize("kind", DECLARED)
@pytest.mark.parametrize(
    "value",
    [
        object(),
        "text",
        [1],
        -1,
        math.nan,
        math.inf,
        1e300,
        True,
        None,
        b"\x00",
        pytest.param(10**400, id="10**400"),  # no float holds it: float() raises OverflowError
        pytest.param(Decimal("sNaN"), id="sNaN"),  # float() raises ValueError
    ],
)
def test_a_constructor_raises_only_the_library_s_errors(kind: type, value: object) -> None:
    for field in dataclasses.fields(kind):
        with contextlib.suppress(GrpcClientError):
            kind(**{**DECLARED[kind], field.name: value})


@pytest.mark.parametrize(
    ("misspelt", "suggested"),
    [
        ("timeout", "default_timeout"),
        ("retries", "retry"),
        ("circuitbreaker", "circuit_breaker"),
        ("wait_for_readiness", "wait_for_ready"),
        ("max_send_message_size", "max_send_message_length"),
    ],
)
def test_an_unknown_option_is_named_with_the_closest_real_one(
    misspelt: str, suggested: str
) -> None:
    for build in (GrpcClient, FakeGrpcClient, GrpcClientSettings.create):
        with pytest.raises(InvalidGrpcClientSettings) as raised:
            build("localhost:50051", **{misspelt: 1})

        assert str(raised.value) == f"unknown option {misspelt!r}; did you mean {suggested!r}?"


def test_an_option_like_none_lists_them_all() -> None:
    with pytest.raises(
        InvalidGrpcClientSettings, match=r"unknown option 'zzz'; the options are \["
    ):
        GrpcClient("localhost:50051", zzz=1)


def test_the_signatures_list_every_option_after_the_constructor_s_own_parameters() -> None:
    client = inspect.signature(GrpcClient)
    fake = inspect.signature(FakeGrpcClient)
    create = inspect.signature(GrpcClientSettings.create)

    assert list(client.parameters) == ["target", "clock", "channel_registry", "stages", *OPTIONS]
    assert list(fake.parameters) == list(client.parameters)
    assert list(create.parameters) == ["target", *OPTIONS]
    assert fake.parameters["target"].default == "fake:50051"
    for name in OPTIONS:
        assert create.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert client.parameters[name] == create.parameters[name]


def test_an_option_s_signature_shows_what_it_accepts_and_its_default() -> None:
    parameters = inspect.signature(GrpcClient).parameters

    assert parameters["default_timeout"].default == 30.0
    assert parameters["default_timeout"].annotation is float
    assert str in get_args(parameters["compression"].annotation)
    assert parameters["retry"].default == RetryPolicy()
    assert type(None) in get_args(parameters["retry"].annotation)


def test_the_constructor_create_and_replace_normalise_the_same_spellings() -> None:
    spelt = {
        "compression": "GZIP",
        "options": {"grpc.primary_user_agent": "svc/1"},
        "retry": None,
        "load_balancing": "ROUND_ROBIN",
    }

    built = GrpcClientSettings("localhost:50051", **spelt)
    created = GrpcClientSettings.create("localhost:50051", **spelt)
    replaced = dataclasses.replace(GrpcClientSettings("localhost:50051"), **spelt)

    assert built == created == replaced
    assert built.compression is grpc.Compression.Gzip
    assert built.options == (("grpc.primary_user_agent", "svc/1"),)
    assert built.retry == RetryPolicy()
    assert built.load_balancing == "round_robin"


def test_keywords_rebuild_equal_settings() -> None:
    settings = GrpcClientSettings.create(
        "localhost:50051", compression="gzip", retry=RetryPolicy(max_attempts=2)
    )

    assert GrpcClientSettings.create(settings.target, **settings.keywords()) == settings


def test_from_settings_builds_through_the_class_s_own_constructor() -> None:
    built: list[str] = []

    class Recording(FakeGrpcClient):
        def __init__(self, target: str = "fake:50051", **options: Any) -> None:
            built.append(target)
            super().__init__(target, **options)

    settings = GrpcClientSettings.create("users:50051", default_timeout=3.0)

    with Recording.from_settings(settings) as client:
        assert built == ["users:50051"]
        assert client.settings == settings


def test_a_field_without_a_declaration_is_a_bug_found_at_once() -> None:
    @dataclasses.dataclass
    class Undeclared:
        value: int = 1

    with pytest.raises(TypeError, match="value has no SettingDeclaration"):
        DeclaredSettings.normalize(Undeclared())


@pytest.mark.parametrize("value", ["", 5, None, b"svc"])
def test_a_text_check_takes_only_a_non_empty_str_it_accepts(value: object) -> None:
    parse = SettingCheck.text(str.isidentifier, "an identifier")

    assert parse("name", "field") == "name"
    with pytest.raises(InvalidGrpcClientSettings, match=r"field must be an identifier, got "):
        parse(value, "field")
