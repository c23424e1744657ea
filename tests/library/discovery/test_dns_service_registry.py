import pytest

from grpc_request_client import (
    DnsServiceRegistry,
    GrpcClient,
    InvalidServiceAddress,
    InvalidServiceRegistry,
    ServiceNotFound,
)
from grpc_request_client.discovery import GrpcTarget
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

LOOPBACK_PEERS = ("ipv4:127.0.0.1:", "ipv6:%5B::1%5D:")
TEMPLATE = "{service}.backend.svc.cluster.local"


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("users.internal", "dns:///users.internal:50051"),
        ("users.internal:7000", "dns:///users.internal:7000"),
        ("[::1]:7000", "dns:///[::1]:7000"),
    ],
)
def test_a_named_host_becomes_a_dns_target(host: str, target: str) -> None:
    assert DnsServiceRegistry({"users": host}).discover("users") == target
    assert GrpcTarget.parse(target, "target", ValueError) == target


def test_a_template_names_every_other_service() -> None:
    registry = DnsServiceRegistry({"users": "users.internal"}, template=TEMPLATE, default_port=7000)

    assert registry.discover("users") == "dns:///users.internal:7000"
    assert (
        registry.discover("backtest-service")
        == "dns:///backtest-service.backend.svc.cluster.local:7000"
    )


def test_a_template_may_carry_its_own_port() -> None:
    registry = DnsServiceRegistry(template="{service}-headless.grpc:8443")

    assert registry.discover("orders") == "dns:///orders-headless.grpc:8443"


def test_without_a_template_an_unknown_service_lists_the_known_hosts() -> None:
    registry = DnsServiceRegistry({"users": "users.internal", "orders": "orders.internal"})

    with pytest.raises(
        ServiceNotFound,
        match=r"^service 'billing' not found in the DNS registry; its hosts name 'orders', "
        r"'users', and it has no template$",
    ):
        registry.discover("billing")


@pytest.mark.parametrize("service_name", ["", "bill ing", "billing:1", "billing/x", None])
def test_a_name_the_template_cannot_use_is_not_found(service_name: str) -> None:
    registry = DnsServiceRegistry(template=TEMPLATE)

    with pytest.raises(ServiceNotFound, match="the DNS registry's template builds addresses"):
        registry.discover(service_name)


def test_a_name_that_makes_the_template_an_invalid_host_is_named() -> None:
    registry = DnsServiceRegistry(template="{service}.internal")
    too_long = "a" * 64  # a DNS label is at most 63 characters

    with pytest.raises(
        InvalidServiceAddress,
        match=rf"^template '\{{service\}}.internal' for '{too_long}' must be a host name",
    ):
        registry.discover(too_long)


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        pytest.param(
            {},
            InvalidServiceRegistry,
            "a DNS registry needs hosts, a template, or both",
            id="nothing",
        ),
        pytest.param(
            {"hosts": {}}, InvalidServiceRegistry, "needs hosts, a template, or both", id="no-hosts"
        ),
        pytest.param(
            {"hosts": ["users"]},
            InvalidServiceRegistry,
            "hosts must be a mapping of service names to 'host' or 'host:port', got list",
            id="hosts-not-a-mapping",
        ),
        pytest.param(
            {"hosts": {"": "users"}},
            InvalidServiceRegistry,
            "service names must be non-empty str",
            id="empty-name",
        ),
        pytest.param(
            {"hosts": {"users": ""}},
            InvalidServiceAddress,
            r"^hosts\['users'\] is empty$",
            id="empty-host",
        ),
        pytest.param(
            {"hosts": {"users": "users:0"}},
            InvalidServiceAddress,
            r"hosts\['users'\] must be a port number from 1 to 65535, got '0'",
            id="bad-port",
        ),
        pytest.param(
            {"hosts": {"users": "dns:///users"}},
            InvalidServiceAddress,
            r"hosts\['users'\] must be 'host' or 'host:port', without a scheme, got 'dns:///users'",
            id="host-with-scheme",
        ),
        pytest.param(
            {"template": "users.internal"},
            InvalidServiceRegistry,
            r"template must be a host name with \{service\} in it",
            id="template-without-placeholder",
        ),
        pytest.param(
            {"template": "{name}.internal"},
            InvalidServiceRegistry,
            r"template must be a host name with \{service\} in it",
            id="template-other-placeholder",
        ),
        pytest.param(
            {"template": "{service!r}.internal"},
            InvalidServiceRegistry,
            r"template must be a host name with \{service\}",
            id="template-conversion",
        ),
        pytest.param(
            {"template": "{service"},
            InvalidServiceRegistry,
            r"template must be a host name with \{service\}",
            id="template-unclosed",
        ),
        pytest.param(
            {"template": "{service}.internal:http"},
            InvalidServiceRegistry,
            r"template '\{service\}.internal:http' cannot make a DNS name: "
            "template must be a port number",
            id="template-bad-port",
        ),
        pytest.param(
            {"template": "grpc://{service}"},
            InvalidServiceRegistry,
            "cannot make a DNS name: template must be 'host' or 'host:port', without a scheme",
            id="template-with-scheme",
        ),
        pytest.param(
            {"template": TEMPLATE, "default_port": 0},
            InvalidServiceRegistry,
            "default_port must be a port number from 1 to 65535, got 0",
            id="bad-default-port",
        ),
    ],
)
def test_unusable_arguments_fail_at_construction(
    arguments: dict[str, object], error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        DnsServiceRegistry(**arguments)  # type: ignore[arg-type]


async def test_grpc_resolves_the_dns_target_with_the_machine_resolver(invoke: Invoke) -> None:
    with RunningServer.start(host="localhost") as server:  # every loopback address, one port
        port = server.target.rsplit(":", 1)[1]
        target = DnsServiceRegistry({"users": f"localhost:{port}"}).discover("users")
        with GrpcClient(target, default_timeout=10.0) as client:
            response = await invoke(client, ScriptedRequest("7"))

    assert target == f"dns:///localhost:{port}"
    assert response.is_success()
    assert server.service.peers[0].startswith(LOOPBACK_PEERS), server.service.peers
