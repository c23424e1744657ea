import pytest

from grpc_request_client import InvalidGrpcClientName
from grpc_request_client.registry import GrpcClientName


@pytest.mark.parametrize("name", ["users", "user-service", "user_service", "users.v2", "S3"])
def test_letters_and_digits_joined_by_dashes_dots_or_underscores_are_names(name: str) -> None:
    assert GrpcClientName.check(name) == name


@pytest.mark.parametrize("name", ["", " ", "users service", "a/b", "-a", "a--b", "ü", b"users"])
def test_anything_else_is_refused_saying_why(name: object) -> None:
    with pytest.raises(InvalidGrpcClientName) as raised:
        GrpcClientName.check(name)

    assert str(raised.value) == (
        "a client name must be letters and digits joined by '-', '.' or '_' "
        f"(it starts the names of its environment variables), got {name!r}"
    )


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("users", "USERS_GRPC_"),
        ("user-service", "USER_SERVICE_GRPC_"),
        ("user.service", "USER_SERVICE_GRPC_"),
        ("Billing_v2", "BILLING_V2_GRPC_"),
    ],
)
def test_the_prefix_is_the_environment_registry_s_rule(name: str, prefix: str) -> None:
    assert GrpcClientName.prefix(name) == prefix
