import pytest

from grpc_request_client.server import PeerAddress


@pytest.mark.parametrize(
    ("peer", "client_ip"),
    [
        ("ipv4:127.0.0.1:5555", "127.0.0.1"),
        ("ipv4:203.0.113.9:443", "203.0.113.9"),
        ("ipv6:%5B::1%5D:5555", "::1"),
        ("ipv6:%5B2001:db8::7%5D:50051", "2001:db8::7"),
        ("ipv6:[::ffff:10.0.0.1]:5555", "::ffff:10.0.0.1"),
    ],
)
def test_the_ip_of_an_ip_peer_is_its_host(peer: str, client_ip: str) -> None:
    assert PeerAddress.client_ip(peer) == client_ip


@pytest.mark.parametrize(
    "peer", ["unix:/run/service.sock", "unix-abstract:service", "local:", "ipv4:", ""]
)
def test_a_peer_without_an_ip_has_none(peer: str) -> None:
    assert PeerAddress.client_ip(peer) is None
