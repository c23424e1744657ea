import pytest

from grpc_request_client import GrpcClient, InvalidGrpcClientSettings
from grpc_request_client.discovery import GrpcTarget
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

ACCEPTED = [
    "users:50051",
    "users.backend.svc.cluster.local:50051",
    "users.backend.svc.cluster.local.:50051",
    "under_score-host:1",
    "127.0.0.1:65535",
    "[::1]:50051",
    "[2001:db8::7]:50051",
    "[fe80::1%eth0]:50051",
    "users",
    "127.0.0.1",
    "[::1]",
    "dns:users:50051",
    "dns:users",
    "dns:/users:50051",
    "dns:///users:50051",
    "dns:///[::1]:50051",
    "dns://8.8.8.8:53/users:50051",
    "dns://dns.internal/users:50051",
    "DNS:///users:50051",
    "ipv4:10.0.0.1:50051",
    "ipv4:10.0.0.1:50051,10.0.0.2:50052",
    "ipv4:///10.0.0.1:50051",
    "IPv4:10.0.0.1:50051",
    "ipv6:[::1]:50051",
    "ipv6:[::1]:50051,[2001:db8::7]:50052",
    "unix:users.sock",
    "unix:/run/users.sock",
    "unix:///run/users.sock",
    "unix:/" + "s" * 106,
    "unix-abstract:users",
    "unix-abstract:" + "a" * 107,
    "vsock:3:50051",
    "xds:///users",
    "xds://control-plane/users",
    "xds:users",
    "google-c2p:///users.googleapis.com",
]


@pytest.mark.parametrize("target", ACCEPTED)
def test_every_form_of_grpcs_naming_rules_is_kept_unchanged(target: str) -> None:
    assert GrpcTarget.parse(target, "target", InvalidGrpcClientSettings) == target


@pytest.mark.parametrize(
    ("target", "says"),
    [
        pytest.param("127.0.0.1:99999", "has port '99999'; a port is a decimal", id="port-wraps"),
        pytest.param("users:65536", "has port '65536'", id="port-one-too-high"),
        pytest.param("users:0", "has port '0'", id="port-zero"),
        pytest.param("users:+1", "has port '\\+1'", id="port-signed"),
        pytest.param("users:http", "has port 'http'", id="port-by-name"),
        pytest.param("users:", "ends in ':' with no port after it", id="empty-port"),
        pytest.param("[::1]:", "ends in ':' with no port after it", id="empty-port-v6"),
        pytest.param("dns:///users:", "ends in ':' with no port", id="empty-port-dns"),
        pytest.param("dns:///users:99999", "has port '99999'", id="port-wraps-dns"),
        pytest.param(
            "http://users:50051", "is a URL, but grpc has no http:// scheme: use", id="http"
        ),
        pytest.param(
            "https://users:50051/", "use host:port \\('users:50051'\\), with tls", id="https"
        ),
        pytest.param("grpc://users:50051", "grpc has no grpc:// scheme", id="grpc-url"),
        pytest.param("HTTP://users:50051", "grpc has no HTTP:// scheme", id="http-upper"),
        pytest.param("", "is not a grpc target", id="empty"),
        pytest.param("users :50051", "has a space", id="space"),
        pytest.param("users:50051\n", "has a space or a control character", id="newline"),
        pytest.param("users:50051?lb=rr", "'\\?' or '#'", id="query"),
        pytest.param("users:50051#x", "'\\?' or '#'", id="fragment"),
        pytest.param(":50051", "has no host before the ':'", id="no-host"),
        pytest.param("-users:50051", "host '-users', which is neither", id="bad-name"),
        pytest.param("us!ers:50051", "host 'us!ers'", id="bad-character"),
        pytest.param("10.0.0.300:50051", "host '10.0.0.300'", id="not-an-ipv4"),
        pytest.param("a" * 64 + ".example:1", "which is neither a DNS name", id="long-label"),
        pytest.param("::1", "IPv6 address '::1' without brackets", id="bare-ipv6"),
        pytest.param("2001:db8::7", "without brackets: write '\\[2001:db8::7\\]:port'", id="v6"),
        pytest.param("users:50051:1", "has more than one ':'", id="two-ports"),
        pytest.param("[users]:50051", "'users' in brackets, where only an IPv6", id="bracket-name"),
        pytest.param("[::1", "'\\[' without a ']'", id="open-bracket"),
        pytest.param("[::1]50051", "'\\[' without a ']'", id="no-colon-after-bracket"),
        pytest.param("dns:", "names no host after dns:", id="dns-empty"),
        pytest.param("dns:///", "names no host after dns:", id="dns-no-host"),
        pytest.param(
            "dns://8.8.8.8:99999/users:1", "names DNS server '8.8.8.8:99999'", id="dns-server"
        ),
        pytest.param(
            "ipv4:10.0.0.1", "without a port; the ipv4: scheme needs one", id="v4-no-port"
        ),
        pytest.param("ipv4:", "lists no address after ipv4:", id="v4-empty"),
        pytest.param("ipv4:10.0.0.1:1,,10.0.0.2:2", "has an empty address", id="v4-empty-entry"),
        pytest.param("ipv4:10.0.0.1:1,", "has an empty address", id="v4-trailing-comma"),
        pytest.param("ipv4:users:1", "'users' where an IPv4 address goes", id="v4-name"),
        pytest.param("ipv4:[::1]:1", "'::1' in brackets", id="v4-given-v6"),
        pytest.param("ipv4:10.0.0.1:70000", "has port '70000'", id="v4-port"),
        pytest.param("ipv4://host/10.0.0.1:1", "authority after ipv4://", id="v4-authority"),
        pytest.param("ipv6:[::1]", "the ipv6: scheme needs one", id="v6-no-port"),
        pytest.param("ipv6:::1", "without brackets", id="v6-no-brackets"),
        pytest.param("ipv6:10.0.0.1:1", "where an IPv6 address in brackets goes", id="v6-given-v4"),
        pytest.param("unix:", "has no socket path", id="unix-empty"),
        pytest.param("unix://", "has no socket path", id="unix-empty-authority"),
        pytest.param("unix://run/users.sock", "authority after unix://", id="unix-two-slashes"),
        pytest.param("unix:/run/a%20b.sock", "'%' in its socket path", id="unix-percent"),
        pytest.param("unix:/" + "s" * 107, "socket path of 108 bytes; at most 107", id="unix-long"),
        pytest.param("unix-abstract:", "has no abstract socket name", id="abstract-empty"),
        pytest.param("unix-abstract:///users", "write unix-abstract:name", id="abstract-slashes"),
        pytest.param("unix-abstract:" + "a" * 108, "108 bytes", id="abstract-long"),
        pytest.param("vsock:3", "must be vsock:cid:port", id="vsock-no-port"),
        pytest.param("vsock:3:4294967296", "below 2\\*\\*32", id="vsock-too-big"),
        pytest.param("xds:", "names no service after xds:", id="xds-empty"),
        pytest.param("xds:///", "names no service", id="xds-no-name"),
        pytest.param("xds:///users/", "or ends in '/'", id="xds-trailing-slash"),
        pytest.param(
            "google-c2p://auth/users", "authority after google-c2p://", id="c2p-authority"
        ),
        pytest.param(None, "target None is not a grpc target", id="none"),
        pytest.param(50051, "target 50051 is not a grpc target", id="int"),
    ],
)
def test_a_target_grpc_would_misread_or_refuse_is_refused_naming_what_is_wrong(
    target: object, says: str
) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        GrpcTarget.parse(target, "target", InvalidGrpcClientSettings)


def test_the_message_names_where_the_target_came_from_and_the_error_is_the_callers() -> None:
    with pytest.raises(LookupError, match=r"^targets\['users'\] 'users:' ends in ':'"):
        GrpcTarget.parse("users:", "targets['users']", LookupError)


def test_a_port_above_65535_no_longer_reaches_whatever_listens_where_it_wraps(
    server: RunningServer,
) -> None:
    wrapped = f"127.0.0.1:{server.port + 65536}"  # the resolver's getaddrinfo keeps 16 bits

    with pytest.raises(InvalidGrpcClientSettings, match=f"has port '{server.port + 65536}'"):
        GrpcClient(wrapped)

    assert server.service.received == []


@pytest.mark.parametrize(
    "form",
    [
        "127.0.0.1:{port}",
        "dns:127.0.0.1:{port}",
        "dns:///127.0.0.1:{port}",
        "DNS:///127.0.0.1:{port}",
        "ipv4:127.0.0.1:{port}",
        "ipv4:127.0.0.1:{port},127.0.0.1:{port}",
    ],
)
async def test_the_accepted_forms_reach_the_server(
    server: RunningServer, invoke: Invoke, form: str
) -> None:
    with GrpcClient(form.format(port=server.port), default_timeout=10.0) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success(), response.details()


@pytest.mark.parametrize(
    "target", ["https://user:s3cr3t-pw@users:443", "grpc://bob:s3cr3t-pw@users:50051/x"]
)
def test_a_password_pasted_into_a_url_target_is_never_shown(target: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings) as refused:
        GrpcTarget.parse(target, "target", InvalidGrpcClientSettings)

    assert "s3cr3t-pw" not in str(refused.value)
    assert "[redacted]@users" in str(refused.value)
