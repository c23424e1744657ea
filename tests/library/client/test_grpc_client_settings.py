import dataclasses
from typing import Any

import grpc
import pytest

from grpc_request_client import (
    GrpcClient,
    GrpcClientSettings,
    InvalidGrpcClientSettings,
    KeepaliveSettings,
    TlsSettings,
)
from tests.Support.Certificates import Certificates


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param({"target": ""}, "target '' is not a grpc target", id="empty-target"),
        pytest.param({"target": "host :1"}, "has a space", id="space-in-target"),
        pytest.param({"target": None}, "target None is not a grpc target", id="target-none"),
        pytest.param({"target": "127.0.0.1:99999"}, "has port '99999'", id="port-out-of-range"),
        pytest.param({"target": "users:"}, "ends in ':' with no port", id="empty-port"),
        pytest.param({"target": "http://users:50051"}, "is a URL", id="url"),
        pytest.param(
            {"default_timeout": 0}, "default_timeout must be a number of seconds", id="zero-timeout"
        ),
        pytest.param(
            {"default_timeout": None},
            "default_timeout must be a number of seconds",
            id="no-timeout",
        ),
        pytest.param({"compression": "brotli"}, "compression must be", id="unknown-compression"),
        pytest.param(
            {"max_send_message_length": 0}, "max_send_message_length", id="zero-send-limit"
        ),
        pytest.param(
            {"max_receive_message_length": "4MB"}, "max_receive_message_length", id="str-limit"
        ),
        pytest.param({"options": 5}, "options must be a mapping", id="options-not-pairs"),
        pytest.param(
            {"options": {"grpc.x": [1]}}, "needs a str name", id="option-value-not-scalar"
        ),
        pytest.param(
            {"max_send_message_length": 10, "options": {"grpc.max_send_message_length": 20}},
            "set both as a setting and in options",
            id="contradicting-limit",
        ),
        *(
            pytest.param(
                {"max_reconnect_backoff": value},
                "max_reconnect_backoff must be None .grpc's own schedule. or seconds from 0.001",
                id=f"backoff-{value!r}",
            )
            for value in (0, 0.0001, -1.0, float("nan"), float("inf"), 3e6, True, "5")
        ),
        pytest.param(
            {"options": {"grpc.max_reconnect_backoff_ms": 30_000}},
            "use max_reconnect_backoff= alone, or max_reconnect_backoff=None and the option",
            id="backoff-option-against-the-default",
        ),
    ],
)
def test_unusable_settings_fail_at_construction(arguments: dict[str, Any], says: str) -> None:
    target = arguments.pop("target", "localhost:50051")

    with pytest.raises(InvalidGrpcClientSettings, match=says):
        GrpcClient(target, **arguments)


def test_forgiving_spellings_are_normalised() -> None:
    settings = GrpcClientSettings.create(
        "localhost:50051", compression="GZIP", options={"grpc.keepalive_time_ms": 10_000}
    )

    assert settings.compression is grpc.Compression.Gzip
    assert settings.options == (("grpc.keepalive_time_ms", 10_000),)


def test_message_limits_become_channel_options_after_the_pass_through_ones() -> None:
    settings = GrpcClientSettings.create(
        "localhost:50051",
        max_send_message_length=1024,
        max_receive_message_length=-1,
        options=[("grpc.primary_user_agent", "svc/1")],
    )

    assert settings.channel_options() == (
        ("grpc.primary_user_agent", "svc/1"),
        ("grpc.max_send_message_length", 1024),
        ("grpc.max_receive_message_length", -1),
        ("grpc.max_reconnect_backoff_ms", 5000),
        ("grpc.enable_retries", 0),
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, (("grpc.max_reconnect_backoff_ms", 5000),)),
        ({"max_reconnect_backoff": 0.25}, (("grpc.max_reconnect_backoff_ms", 250),)),
        ({"max_reconnect_backoff": 60}, (("grpc.max_reconnect_backoff_ms", 60_000),)),
        ({"max_reconnect_backoff": None}, ()),
        (
            {"max_reconnect_backoff": None, "options": {"grpc.max_reconnect_backoff_ms": 30_000}},
            (("grpc.max_reconnect_backoff_ms", 30_000),),
        ),
    ],
)
def test_the_reconnect_backoff_cap_is_5_s_unless_set_and_none_leaves_it_to_grpc(
    arguments: dict[str, Any], expected: tuple[tuple[str, int], ...]
) -> None:
    options = GrpcClient("localhost:50051", **arguments).settings.channel_options()

    assert tuple(option for option in options if option[0] == "grpc.max_reconnect_backoff_ms") == (
        expected
    )


def test_settings_are_frozen() -> None:
    settings = GrpcClient("localhost:50051").settings

    with pytest.raises(AttributeError):
        settings.default_timeout = 1.0  # type: ignore[misc]


def test_tls_and_keepalive_become_channel_options_beside_the_pass_through_ones() -> None:
    settings = GrpcClientSettings.create(
        "localhost:50051",
        options={"grpc.primary_user_agent": "svc/1"},
        tls=TlsSettings(server_name_override="users.internal"),
        keepalive=KeepaliveSettings(time_ms=10_000),
    )

    options = dict(settings.channel_options())
    assert options["grpc.primary_user_agent"] == "svc/1"
    assert options["grpc.ssl_target_name_override"] == "users.internal"
    assert options["grpc.default_authority"] == "users.internal"
    assert options["grpc.keepalive_time_ms"] == 10_000
    assert "grpc.http2.max_pings_without_data" in options


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param(
            {
                "keepalive": KeepaliveSettings(time_ms=10_000),
                "options": {"grpc.keepalive_time_ms": 1},
            },
            "grpc.keepalive_time_ms is set both as a setting and in options",
            id="keepalive-twice",
        ),
        pytest.param(
            {
                "keepalive": KeepaliveSettings(time_ms=10_000),
                "options": {"grpc.http2.ping_timeout_ms": 1},
            },
            "grpc.http2.ping_timeout_ms is set both as a setting and in options",
            id="ping-timeout-twice",
        ),
        pytest.param(
            {
                "tls": TlsSettings(server_name_override="a.internal"),
                "options": {"grpc.default_authority": "b.internal"},
            },
            "grpc.default_authority is set both as a setting and in options",
            id="authority-twice",
        ),
        pytest.param(
            {"keepalive": {"time_ms": 10_000}},
            "keepalive must be a KeepaliveSettings or None, got dict",
            id="keepalive-as-dict",
        ),
    ],
)
def test_transport_settings_that_contradict_or_mistype_fail_at_construction(
    arguments: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        GrpcClientSettings.create("localhost:50051", **arguments)


def test_settings_with_tls_token_and_keepalive_stay_hashable_values() -> None:
    def build() -> GrpcClientSettings:
        return GrpcClientSettings.create(
            "localhost:50051",
            tls=TlsSettings(server_name_override="users.internal"),
            bearer_token="token-1",
            keepalive=KeepaliveSettings(time_ms=10_000),
        )

    assert build() == build()
    assert hash(build()) == hash(build())
    assert {build(): "channel"}[build()] == "channel"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(
            {"default_timeout": 0}, "default_timeout must be a number of seconds", id="timeout"
        ),
        pytest.param(
            {"compression": "brotli"}, "compression must be a grpc.Compression", id="name"
        ),
        pytest.param(
            {"max_reconnect_backoff": 0}, "max_reconnect_backoff must be None", id="backoff"
        ),
    ],
)
def test_settings_made_without_create_are_checked_as_strictly(
    change: dict[str, Any], says: str
) -> None:
    settings = GrpcClientSettings.create("localhost:50051")

    with pytest.raises(InvalidGrpcClientSettings, match=says):
        dataclasses.replace(settings, **change)


def test_the_repr_hides_credential_options_the_token_and_the_key(
    certificates: Certificates,
) -> None:
    settings = GrpcClientSettings.create(
        "users.internal:50051",
        options={"x.api_key": "option-s3cr3t", "grpc.primary_user_agent": "users-client/1"},
        tls=certificates.mutual_tls(),
        bearer_token="token-s3cr3t",
    )
    key_lines = [
        line
        for line in certificates.client.private_key_pem.bytes().decode().splitlines()
        if not line.startswith("-----")
    ]
    shown = repr(settings) + str(settings)

    assert (
        "options=(('x.api_key', '[redacted]'), ('grpc.primary_user_agent', 'users-client/1'))"
        in shown
    )
    assert "s3cr3t" not in shown
    assert [line for line in key_lines if line in shown] == []
    assert repr(settings).startswith("GrpcClientSettings(target='users.internal:50051', ")
