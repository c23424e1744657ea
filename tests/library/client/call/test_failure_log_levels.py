"""``failure_log_levels``: how the option is given, checked, read from the environment and shown."""

import logging
from typing import Any

import grpc
import pytest

from grpc_request_client import (
    ChannelRegistry,
    FailureLogLevels,
    GrpcClient,
    GrpcClientRegistry,
    GrpcClientSettings,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientSettings,
)

TARGET = "users:50051"


def test_by_default_the_six_server_failures_are_warnings_and_the_rest_info() -> None:
    levels = GrpcClientSettings(TARGET).failure_log_levels

    warnings = {
        code.name
        for code in grpc.StatusCode
        if code.name != "OK" and levels.level(code) == logging.WARNING
    }
    infos = {
        code.name
        for code in grpc.StatusCode
        if code.name != "OK" and levels.level(code) == logging.INFO
    }
    assert warnings == {
        "UNKNOWN",
        "DEADLINE_EXCEEDED",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
    }
    assert len(infos) == 10
    assert repr(levels) == "FailureLogLevels({})"


@pytest.mark.parametrize(
    "given",
    [
        {"NOT_FOUND": "DEBUG"},
        {"not_found": "debug"},
        {grpc.StatusCode.NOT_FOUND: logging.DEBUG},
        FailureLogLevels({"NOT_FOUND": 10}),
    ],
)
def test_codes_and_levels_may_be_given_by_name_or_by_value(given: Any) -> None:
    settings = GrpcClientSettings.create(TARGET, failure_log_levels=given)

    assert settings.failure_log_levels.level(grpc.StatusCode.NOT_FOUND) == logging.DEBUG
    assert settings.failure_log_levels.level(grpc.StatusCode.INTERNAL) == logging.WARNING
    assert settings == GrpcClientSettings.create(TARGET, **settings.keywords())
    assert "failure_log_levels=FailureLogLevels({'NOT_FOUND': 'debug'})" in repr(settings)


def test_levels_equal_to_the_default_make_equal_settings_that_share_a_channel() -> None:
    registry = ChannelRegistry()
    with (
        GrpcClient(TARGET, channel_registry=registry) as plain,
        GrpcClient(
            TARGET, channel_registry=registry, failure_log_levels={"NOT_FOUND": "info"}
        ) as same,
    ):
        assert plain.settings == same.settings
        assert hash(plain.settings) == hash(same.settings)
        assert registry.open_channels() == 1


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (["NOT_FOUND"], "must be a mapping of status codes to log levels"),
        ({"OK": "debug"}, "cannot hold OK"),
        ({"NOT_FOUD": "debug"}, "'NOT_FOUD' is no grpc status code"),
        ({5: "debug"}, "5 is no grpc status code"),
        ({"NOT_FOUND": "verbose"}, r"the level for 'NOT_FOUND' must be one of \['debug', "),
        ({"NOT_FOUND": 15}, "got 15"),
        ({"NOT_FOUND": True}, "got True"),
    ],
)
def test_anything_else_is_refused_naming_the_option(given: Any, says: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=f"failure_log_levels.*{says}"):
        GrpcClient(TARGET, failure_log_levels=given)


def test_the_environment_gives_code_level_pairs_separated_by_commas() -> None:
    environ = {"USERS_GRPC_FAILURE_LOG_LEVELS": "NOT_FOUND=debug, unavailable=ERROR"}

    levels = GrpcClientRegistry(environ).register("users", TARGET).failure_log_levels

    assert levels.level(grpc.StatusCode.NOT_FOUND) == logging.DEBUG
    assert levels.level(grpc.StatusCode.UNAVAILABLE) == logging.ERROR


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("NOT_FOUND", "must be CODE=level pairs separated by ','"),
        ("NOT_FOUND=debug=info", "must be CODE=level pairs"),
        ("NOT_FOUND=loud", "the level for 'NOT_FOUND' must be one of"),
    ],
)
def test_an_unusable_variable_is_named(raw: str, says: str) -> None:
    registry = GrpcClientRegistry({"USERS_GRPC_FAILURE_LOG_LEVELS": raw})

    with pytest.raises(
        InvalidGrpcClientEnvironment, match=f"USERS_GRPC_FAILURE_LOG_LEVELS.*{says}"
    ):
        registry.register("users", TARGET)
