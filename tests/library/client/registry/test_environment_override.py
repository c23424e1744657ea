import pytest

from grpc_request_client import BulkheadPolicy, InvalidGrpcClientEnvironment
from grpc_request_client.declaration import EnvironmentValue
from grpc_request_client.registry import EnvironmentOverride

LIMIT = EnvironmentOverride("BULKHEAD_MAX_IN_FLIGHT", "max_in_flight", EnvironmentValue.integer)


def test_it_reads_its_variable_under_the_service_prefix() -> None:
    environ = {"USERS_GRPC_BULKHEAD_MAX_IN_FLIGHT": "8"}

    assert LIMIT.is_set("USERS_GRPC_", environ)
    assert not LIMIT.is_set("ORDERS_GRPC_", environ)
    assert LIMIT.value("USERS_GRPC_", environ) == 8


def test_it_applies_its_value_to_a_copy_of_the_settings() -> None:
    registered = BulkheadPolicy(wait=False)

    applied = LIMIT.apply("USERS_GRPC_", registered, 8)

    assert applied == BulkheadPolicy(max_in_flight=8, wait=False)
    assert registered == BulkheadPolicy(wait=False)


def test_a_value_the_settings_refuse_is_blamed_on_the_variable() -> None:
    with pytest.raises(InvalidGrpcClientEnvironment) as raised:
        LIMIT.apply("USERS_GRPC_", BulkheadPolicy(), 0)

    assert raised.value.variable == "USERS_GRPC_BULKHEAD_MAX_IN_FLIGHT"
    assert str(raised.value) == (
        "USERS_GRPC_BULKHEAD_MAX_IN_FLIGHT: max_in_flight must be an int of at least 1, got 0"
    )


def test_blaming_leaves_an_error_that_already_names_its_variable_alone() -> None:
    original = InvalidGrpcClientEnvironment("USERS_GRPC_TLS", "is wrong")

    with pytest.raises(InvalidGrpcClientEnvironment) as raised, EnvironmentOverride.blaming("X"):
        raise original

    assert raised.value is original
