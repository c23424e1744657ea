import pytest

from grpc_request_client import InvalidServiceAddress, InvalidServiceRegistry, ServiceAddress
from grpc_request_client.discovery import GrpcTarget

ADDRESSES = [
    ("users.svc.cluster.local", "users.svc.cluster.local:50051"),
    ("users:7000", "users:7000"),
    ("10.0.0.7:7000", "10.0.0.7:7000"),
    ("::1", "[::1]:50051"),
    ("[::1]", "[::1]:50051"),
    ("[2001:db8::7]:7000", "[2001:db8::7]:7000"),
    ("under_score.example.", "under_score.example.:50051"),
]


@pytest.mark.parametrize(("text", "target"), ADDRESSES)
def test_a_host_with_or_without_a_port_becomes_a_grpc_host_port(text: str, target: str) -> None:
    assert str(ServiceAddress.parse(text, 50051, "hosts['users']")) == target


@pytest.mark.parametrize(("text", "target"), ADDRESSES)
def test_what_an_address_makes_is_a_target_clients_accept(text: str, target: str) -> None:
    assert (
        GrpcTarget.parse(str(ServiceAddress.parse(text, 50051, "hosts")), "target", ValueError)
        == target
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", r"hosts\['users'\] is empty"),
        ("   ", r"hosts\['users'\] is empty"),
        ("users:", r"hosts\['users'\] must be a port number from 1 to 65535, got ''"),
        ("users:0", "must be a port number from 1 to 65535, got '0'"),
        ("users:65536", "must be a port number from 1 to 65535, got '65536'"),
        ("users:http", "must be a port number from 1 to 65535, got 'http'"),
        ("[::1]:-1", "must be a port number from 1 to 65535, got '-1'"),
        ("dns:///users:50051", "must be 'host' or 'host:port', without a scheme"),
        ("unix:/run/users.sock", "must be 'host' or 'host:port', without a scheme"),
        ("users.svc:50051:1", "must be a host name or an IP address, without a port or scheme"),
        ("us ers", "must be a host name or an IP address"),
        ("10.0.0.300", "must be a host name or an IP address"),
        ("-users", "must be a host name or an IP address"),
        ("[users]", "must be a host name or an IP address"),
        ("[10.0.0.7]:80", "must be a host name or an IP address"),
        ("a" * 64 + ".example", "must be a host name or an IP address"),
        (None, r"hosts\['users'\] must be a str 'host' or 'host:port', got None"),
    ],
)
def test_an_unusable_address_names_where_it_came_from(text: object, says: str) -> None:
    with pytest.raises(InvalidServiceAddress, match=says):
        ServiceAddress.parse(text, 50051, "hosts['users']")


@pytest.mark.parametrize("value", [1, 65535, "1", "65535"])
def test_a_port_is_an_int_or_its_decimal_digits(value: object) -> None:
    assert ServiceAddress.parse_port(value, "PORT") == int(str(value))


@pytest.mark.parametrize("value", [0, 65536, -1, True, 50051.0, " 50051", "5e4", "0x50", "", None])
def test_anything_else_is_not_a_port(value: object) -> None:
    with pytest.raises(
        InvalidServiceRegistry,
        match=f"default_port must be a port number from 1 to 65535, got {value!r}",
    ):
        ServiceAddress.parse_port(value, "default_port", InvalidServiceRegistry)
