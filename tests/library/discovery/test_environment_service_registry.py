import pytest

from grpc_request_client import (
    EnvironmentServiceRegistry,
    InvalidServiceAddress,
    InvalidServiceRegistry,
    ServiceNotFound,
)

SEED_ENVIRONMENT = {
    "BACKTEST_SERVICE_GRPC_HOST": "backtest-service.mysingle.svc.cluster.local",
    "BACKTEST_SERVICE_GRPC_PORT": "50051",
}


def test_the_seed_variables_give_the_seed_service_its_target() -> None:
    registry = EnvironmentServiceRegistry(SEED_ENVIRONMENT)

    assert (
        registry.discover("backtest-service") == "backtest-service.mysingle.svc.cluster.local:50051"
    )


@pytest.mark.parametrize(
    ("service_name", "variables"),
    [
        ("backtest-service", ("BACKTEST_SERVICE_GRPC_HOST", "BACKTEST_SERVICE_GRPC_PORT")),
        ("ml_service", ("ML_SERVICE_GRPC_HOST", "ML_SERVICE_GRPC_PORT")),
        ("user.UserService", ("USER_USERSERVICE_GRPC_HOST", "USER_USERSERVICE_GRPC_PORT")),
        ("search2", ("SEARCH2_GRPC_HOST", "SEARCH2_GRPC_PORT")),
    ],
)
def test_variables_are_the_name_upper_cased_with_underscores(
    service_name: str, variables: tuple[str, str]
) -> None:
    assert EnvironmentServiceRegistry.variables(service_name) == variables


def test_a_missing_port_falls_back_to_the_default_port() -> None:
    environment = {"USERS_GRPC_HOST": "users.internal"}

    assert EnvironmentServiceRegistry(environment).discover("users") == "users.internal:50051"
    assert (
        EnvironmentServiceRegistry(environment, default_port=7000).discover("users")
        == "users.internal:7000"
    )


def test_an_ipv6_host_is_bracketed_for_grpc() -> None:
    environment = {"USERS_GRPC_HOST": "2001:db8::7", "USERS_GRPC_PORT": "7000"}

    assert EnvironmentServiceRegistry(environment).discover("users") == "[2001:db8::7]:7000"


def test_the_mapping_is_read_when_discovering_not_when_built() -> None:
    environment: dict[str, str] = {}
    registry = EnvironmentServiceRegistry(environment)
    environment["USERS_GRPC_HOST"] = "users.internal"

    assert registry.discover("users") == "users.internal:50051"


def test_by_default_it_reads_the_process_environment_when_discovering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("USERS_GRPC_HOST", raising=False)
    registry = EnvironmentServiceRegistry()
    monkeypatch.setenv("USERS_GRPC_HOST", "users.internal")
    monkeypatch.setenv("USERS_GRPC_PORT", "7001")

    assert registry.discover("users") == "users.internal:7001"


@pytest.mark.parametrize(
    ("environment", "default_port", "says"),
    [
        pytest.param(
            {},
            50051,
            r"^service 'ml-service' not found: the environment has no ML_SERVICE_GRPC_HOST "
            r"\(read together with ML_SERVICE_GRPC_PORT, which defaults to 50051\)$",
            id="no-variables",
        ),
        pytest.param(
            {"ML_SERVICE_GRPC_PORT": "7000"},
            50051,
            "the environment has no ML_SERVICE_GRPC_HOST",
            id="port-without-host",
        ),
        pytest.param(
            {},
            None,
            r"no ML_SERVICE_GRPC_HOST \(read together with ML_SERVICE_GRPC_PORT, "
            r"which is required\)",
            id="no-variables-and-no-default-port",
        ),
        pytest.param(
            {"ML_SERVICE_GRPC_HOST": "ml.internal"},
            None,
            "the environment has ML_SERVICE_GRPC_HOST but no ML_SERVICE_GRPC_PORT, "
            "and this registry has no default port",
            id="host-without-port-and-no-default-port",
        ),
    ],
)
def test_an_unknown_service_names_the_variables_it_looked_for(
    environment: dict[str, str], default_port: int | None, says: str
) -> None:
    registry = EnvironmentServiceRegistry(environment, default_port=default_port)

    with pytest.raises(ServiceNotFound, match=says):
        registry.discover("ml-service")


@pytest.mark.parametrize("service_name", ["", "ml service", "ml:7000", "../ml", "-ml", None])
def test_a_name_that_cannot_name_variables_is_not_found(service_name: str) -> None:
    registry = EnvironmentServiceRegistry({})

    with pytest.raises(ServiceNotFound, match="builds addresses from names of letters and digits"):
        registry.discover(service_name)


@pytest.mark.parametrize(
    ("host", "port", "says"),
    [
        pytest.param(
            "ml.internal",
            "0",
            "ML_GRPC_PORT must be a port number from 1 to 65535, got '0'",
            id="port-0",
        ),
        pytest.param(
            "ml.internal", "65536", "ML_GRPC_PORT must be a port number", id="port-too-big"
        ),
        pytest.param(
            "ml.internal", "grpc", "ML_GRPC_PORT must be a port number", id="port-not-a-number"
        ),
        pytest.param("ml.internal", "", "ML_GRPC_PORT must be a port number", id="port-empty"),
        pytest.param(
            "ml.internal", "50051\n", "ML_GRPC_PORT must be a port number", id="port-newline"
        ),
        pytest.param("", "7000", "^ML_GRPC_HOST is empty$", id="host-empty"),
        pytest.param("  ", "7000", "^ML_GRPC_HOST is empty$", id="host-blank"),
        pytest.param(
            "ml.internal:7000",
            "7000",
            "ML_GRPC_HOST must be a host name or an IP address, without a port or scheme, "
            "got 'ml.internal:7000'",
            id="host-with-port",
        ),
        pytest.param(
            "dns:///ml.internal", "7000", "ML_GRPC_HOST must be a host name", id="host-with-scheme"
        ),
    ],
)
def test_a_variable_that_cannot_make_a_target_is_named(host: str, port: str, says: str) -> None:
    registry = EnvironmentServiceRegistry({"ML_GRPC_HOST": host, "ML_GRPC_PORT": port})

    with pytest.raises(InvalidServiceAddress, match=says):
        registry.discover("ml")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param(
            {"environ": [("A", "b")]},
            "environ must be a mapping of variable names to values, got list",
            id="environ-list",
        ),
        pytest.param(
            {"default_port": 0},
            "default_port must be a port number from 1 to 65535, got 0",
            id="default-port-0",
        ),
        pytest.param(
            {"default_port": 70000}, "default_port must be a port number", id="default-port-too-big"
        ),
        pytest.param(
            {"default_port": True}, "default_port must be a port number", id="default-port-bool"
        ),
    ],
)
def test_unusable_arguments_fail_at_construction(arguments: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidServiceRegistry, match=says):
        EnvironmentServiceRegistry(**arguments)  # type: ignore[arg-type]
