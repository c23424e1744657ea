import pytest

from grpc_request_client import (
    InvalidServiceAddress,
    InvalidServiceRegistry,
    ServiceNotFound,
    StaticServiceRegistry,
)

TARGETS = {
    "users": "users.internal:50051",
    "orders": "dns:///orders.backend.svc.cluster.local:50051",
    "search": "ipv4:10.0.0.7:50051,10.0.0.8:50051",
    "local": "unix:/run/local.sock",
}


@pytest.mark.parametrize("service_name", sorted(TARGETS))
def test_any_grpc_target_is_given_back_as_written(service_name: str) -> None:
    assert StaticServiceRegistry(TARGETS).discover(service_name) == TARGETS[service_name]


def test_the_table_is_a_copy_taken_when_built() -> None:
    targets = {"users": "users.internal:50051"}
    registry = StaticServiceRegistry(targets)
    targets["users"] = "elsewhere:1"
    targets["orders"] = "orders.internal:50051"

    assert registry.discover("users") == "users.internal:50051"
    with pytest.raises(ServiceNotFound):
        registry.discover("orders")


@pytest.mark.parametrize(
    ("targets", "says"),
    [
        pytest.param(
            TARGETS,
            "^service 'billing' not found in the static registry; "
            "it knows 'local', 'orders', 'search', 'users'$",
            id="known-names-listed",
        ),
        pytest.param(
            {}, "^service 'billing' not found in the static registry; it knows none$", id="empty"
        ),
    ],
)
def test_an_unknown_service_lists_what_the_registry_knows(
    targets: dict[str, str], says: str
) -> None:
    with pytest.raises(ServiceNotFound, match=says):
        StaticServiceRegistry(targets).discover("billing")


@pytest.mark.parametrize(
    ("targets", "error", "says"),
    [
        pytest.param(
            [("users", "u:1")],
            InvalidServiceRegistry,
            "targets must be a mapping of service names to grpc targets, got list",
            id="not-a-mapping",
        ),
        pytest.param(
            {"": "u:1"},
            InvalidServiceRegistry,
            "service names must be non-empty str, got ''",
            id="empty-name",
        ),
        pytest.param(
            {7: "u:1"},
            InvalidServiceRegistry,
            "service names must be non-empty str, got 7",
            id="name-not-str",
        ),
        pytest.param(
            {"users": ""},
            InvalidServiceAddress,
            r"targets\['users'\] '' is not a grpc target such as 'users:50051'",
            id="empty-target",
        ),
        pytest.param(
            {"users": "users :1"},
            InvalidServiceAddress,
            r"targets\['users'\] 'users :1' has a space",
            id="space-in-target",
        ),
        pytest.param(
            {"users": 50051},
            InvalidServiceAddress,
            r"targets\['users'\] 50051 is not a grpc target",
            id="target-not-str",
        ),
        pytest.param(
            {"users": "127.0.0.1:99999"},
            InvalidServiceAddress,
            r"targets\['users'\] '127.0.0.1:99999' has port '99999'",
            id="port-out-of-range",
        ),
        pytest.param(
            {"users": "users:"},
            InvalidServiceAddress,
            r"targets\['users'\] 'users:' ends in ':' with no port",
            id="empty-port",
        ),
        pytest.param(
            {"users": "https://users:50051"},
            InvalidServiceAddress,
            r"is a URL, but grpc has no https:// scheme: use host:port \('users:50051'\)",
            id="url",
        ),
    ],
)
def test_an_invalid_table_fails_at_construction(
    targets: object, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        StaticServiceRegistry(targets)  # type: ignore[arg-type]
