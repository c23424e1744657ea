from typing import Any

import pytest

from grpc_request_client import InvalidGrpcClientSettings, KeepaliveSettings


def test_each_field_becomes_its_grpc_channel_option() -> None:
    settings = KeepaliveSettings(
        time_ms=10_000, timeout_ms=5_000, permit_without_calls=True, max_pings_without_data=0
    )

    assert settings.channel_options() == (
        ("grpc.keepalive_time_ms", 10_000),
        ("grpc.keepalive_timeout_ms", 5_000),
        ("grpc.http2.ping_timeout_ms", 5_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    )


def test_everything_but_the_interval_defaults_to_grpcs_own_keepalive_values() -> None:
    assert dict(KeepaliveSettings(time_ms=30_000).channel_options()) == {
        "grpc.keepalive_time_ms": 30_000,
        "grpc.keepalive_timeout_ms": 20_000,
        "grpc.http2.ping_timeout_ms": 20_000,
        "grpc.keepalive_permit_without_calls": 0,
        "grpc.http2.max_pings_without_data": 2,
    }


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param({"time_ms": 0}, "keepalive time_ms must be an int from 1", id="zero-time"),
        pytest.param({"time_ms": 1.5}, "keepalive time_ms must be an int", id="float-time"),
        pytest.param({"time_ms": True}, "keepalive time_ms must be an int", id="bool-time"),
        pytest.param({"time_ms": 2**31}, "to 2147483647, got 2147483648", id="beyond-c-int"),
        pytest.param(
            {"time_ms": 1, "timeout_ms": -5}, "keepalive timeout_ms must be", id="negative-timeout"
        ),
        pytest.param(
            {"time_ms": 1, "max_pings_without_data": -1},
            "keepalive max_pings_without_data must be an int from 0",
            id="negative-pings",
        ),
        pytest.param(
            {"time_ms": 1, "permit_without_calls": 1},
            "keepalive permit_without_calls must be a bool",
            id="int-permit",
        ),
    ],
)
def test_unusable_values_fail_at_construction(arguments: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        KeepaliveSettings(**arguments)


def test_settings_are_frozen_and_hashable() -> None:
    settings = KeepaliveSettings(time_ms=10_000)

    assert hash(settings) == hash(KeepaliveSettings(time_ms=10_000))
    with pytest.raises(AttributeError):
        settings.time_ms = 1  # type: ignore[misc]
