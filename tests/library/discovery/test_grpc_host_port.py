import pytest

from grpc_request_client.discovery import GrpcHostPort


@pytest.mark.parametrize(
    ("host", "is_name"),
    [
        ("users", True),
        ("users.backend.svc.cluster.local.", True),
        ("under_score", True),
        ("10.0.0.7", True),
        ("10.0.0.300", False),
        ("1.2.3", False),
        ("-users", False),
        ("users-", False),
        ("a" * 64, False),
        ("::1", False),
        ("", False),
    ],
)
def test_a_host_name_is_a_dns_name_or_an_ipv4_address(host: str, is_name: bool) -> None:
    assert GrpcHostPort.is_host_name(host) is is_name


@pytest.mark.parametrize(
    ("text", "scheme", "version", "problem"),
    [
        ("users:50051", "", None, None),
        ("users", "", None, None),
        ("[::1]", "", None, None),
        ("10.0.0.7:1", "ipv4", 4, None),
        ("[::1]:1", "ipv6", 6, None),
        ("10.0.0.7", "ipv4", 4, "without a port; the ipv4: scheme needs one"),
        ("users:1", "ipv4", 4, "'users' where an IPv4 address goes"),
        ("10.0.0.7:1", "ipv6", 6, "where an IPv6 address in brackets goes"),
        ("[::1]:1", "ipv4", 4, "in brackets, where only an IPv6 address goes"),
        ("users:", "", None, "ends in ':' with no port"),
        ("users:065536", "", None, "has port '065536'"),
    ],
)
def test_a_scheme_may_require_a_port_and_an_ip_address_of_its_version(
    text: str, scheme: str, version: int | None, problem: str | None
) -> None:
    found = GrpcHostPort.problem(text, scheme, version)

    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
