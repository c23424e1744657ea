from typing import Any

import grpc
import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors import InvalidGrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param({"target": ""}, "target must be an address", id="empty-target"),
        pytest.param({"target": "host :1"}, "target must be an address", id="space-in-target"),
        pytest.param({"target": None}, "target must be an address", id="target-none"),
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
        ("grpc.enable_retries", 0),
    )


def test_settings_are_frozen() -> None:
    settings = GrpcClient("localhost:50051").settings

    with pytest.raises(AttributeError):
        settings.default_timeout = 1.0  # type: ignore[misc]
