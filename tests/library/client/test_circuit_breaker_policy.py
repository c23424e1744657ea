import math

import grpc
import pytest

from grpc_request_client import CircuitBreakerPolicy, InvalidGrpcClientSettings


def test_the_defaults_are_the_documented_ones() -> None:
    policy = CircuitBreakerPolicy()

    assert (
        policy.failure_rate_threshold,
        policy.minimum_calls,
        policy.window_size,
        policy.reset_timeout,
        policy.half_open_calls,
        policy.scope,
        policy.enabled,
    ) == (50.0, 20, 100, 10.0, 10, "target", True)
    assert policy.failure_codes == {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def test_a_threshold_of_exactly_100_percent_and_whole_or_fractional_percentages_are_fine() -> None:
    assert CircuitBreakerPolicy(failure_rate_threshold=100).failure_rate_threshold == 100
    assert CircuitBreakerPolicy(failure_rate_threshold=12.5).failure_rate_threshold == 12.5


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"failure_rate_threshold": 0}, "failure_rate_threshold must be a percentage above 0"),
        ({"failure_rate_threshold": 100.5}, "failure_rate_threshold must be a percentage"),
        ({"failure_rate_threshold": math.nan}, "failure_rate_threshold must be a percentage"),
        ({"failure_rate_threshold": True}, "failure_rate_threshold must be a percentage"),
        ({"failure_rate_threshold": "50"}, "failure_rate_threshold must be a percentage"),
        ({"minimum_calls": 0}, "minimum_calls must be an int of at least 1, got 0"),
        ({"minimum_calls": True}, "minimum_calls must be an int of at least 1, got True"),
        ({"window_size": 10.0}, "window_size must be an int of at least 1, got 10.0"),
        ({"half_open_calls": 0}, "half_open_calls must be an int of at least 1"),
        ({"half_open_calls": False}, "half_open_calls must be an int of at least 1"),
        ({"reset_timeout": 0}, "reset_timeout must be a positive number of seconds, got 0"),
        ({"reset_timeout": math.inf}, "reset_timeout must be a positive number of seconds"),
        ({"reset_timeout": True}, "reset_timeout must be a positive number of seconds"),
        ({"scope": "host"}, "scope must be 'target' or 'method', got 'host'"),
        ({"failure_codes": [grpc.StatusCode.UNAVAILABLE]}, "failure_codes must be a frozenset"),
        ({"failure_codes": frozenset({"UNAVAILABLE"})}, "failure_codes must be a frozenset"),
        ({"failure_codes": frozenset({grpc.StatusCode.OK})}, "failure_codes cannot hold OK"),
        ({"enabled": 1}, "enabled must be a bool .True or False., got 1"),
    ],
)
def test_an_unusable_policy_fails_at_construction_naming_the_field(
    arguments: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        CircuitBreakerPolicy(**arguments)  # type: ignore[arg-type]
