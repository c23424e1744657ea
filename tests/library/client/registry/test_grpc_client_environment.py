import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from grpc_request_client import (
    CircuitBreakerPolicy,
    GrpcClientSettings,
    InvalidBearerToken,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientSettings,
    InvalidTlsSettings,
    KeepaliveSettings,
    RetryPolicy,
    TlsSettings,
)
from grpc_request_client.registry import GrpcClientEnvironment
from tests.Support.Certificates import Certificates

TOKEN = "environment-token-51c0"  # a fake secret: the tests look for it where it must not be
REGISTERED = GrpcClientSettings.create("users.internal:50051")
Read = Callable[[GrpcClientSettings], object]


def _apply(
    environ: dict[str, str], settings: GrpcClientSettings = REGISTERED
) -> GrpcClientSettings:
    return GrpcClientEnvironment(environ).apply("users", settings)[0]


def _refusal(
    environ: dict[str, str], settings: GrpcClientSettings = REGISTERED
) -> InvalidGrpcClientEnvironment:
    with pytest.raises(InvalidGrpcClientEnvironment) as raised:
        _apply(environ, settings)
    return raised.value


def test_the_variables_are_the_name_upper_cased_then_grpc_then_the_setting() -> None:
    variables = GrpcClientEnvironment.variables("user-service.v2")

    assert variables[:4] == (
        "USER_SERVICE_V2_GRPC_TARGET",
        "USER_SERVICE_V2_GRPC_HOST",
        "USER_SERVICE_V2_GRPC_PORT",
        "USER_SERVICE_V2_GRPC_TIMEOUT",
    )
    assert "USER_SERVICE_V2_GRPC_RETRY_MAX_ATTEMPTS" in variables
    assert "USER_SERVICE_V2_GRPC_TLS_PRIVATE_KEY" in variables
    assert len(set(variables)) == len(variables)  # docs/configuration.md lists each one


def test_an_environment_without_the_variables_changes_nothing() -> None:
    environ = {"ORDERS_GRPC_TIMEOUT": "1", "PATH": "/usr/bin"}

    assert GrpcClientEnvironment(environ).apply("users", REGISTERED) == (REGISTERED, ())


def test_it_says_which_variables_it_used() -> None:
    environ = {"USERS_GRPC_TIMEOUT": "4", "USERS_GRPC_RETRY_JITTER": "0", "OTHER": "x"}

    _, used = GrpcClientEnvironment(environ).apply("users", REGISTERED)

    assert used == ("USERS_GRPC_TIMEOUT", "USERS_GRPC_RETRY_JITTER")


@pytest.mark.parametrize(
    ("variable", "value", "read", "expected"),
    [
        ("TARGET", "dns:///users.prod:7000", lambda s: s.target, "dns:///users.prod:7000"),
        ("TARGET", "  users.prod:7000\n", lambda s: s.target, "users.prod:7000"),
        ("TIMEOUT", "2.5", lambda s: s.default_timeout, 2.5),
        ("MAX_SEND_MESSAGE_LENGTH", "1024", lambda s: s.max_send_message_length, 1024),
        ("MAX_RECEIVE_MESSAGE_LENGTH", "-1", lambda s: s.max_receive_message_length, -1),
        ("MAX_RECEIVE_MESSAGE_LENGTH", "none", lambda s: s.max_receive_message_length, None),
        ("COMPRESSION", "GZIP", lambda s: s.compression, grpc.Compression.Gzip),
        ("LOAD_BALANCING", "round_robin", lambda s: s.load_balancing, "round_robin"),
        ("MAX_RECONNECT_BACKOFF", "0.5", lambda s: s.max_reconnect_backoff, 0.5),
        ("MAX_RECONNECT_BACKOFF", "None", lambda s: s.max_reconnect_backoff, None),
        ("WAIT_FOR_READY", "true", lambda s: s.wait_for_ready, True),
        ("RETRY_MAX_ATTEMPTS", "5", lambda s: s.retry.max_attempts, 5),
        ("RETRY_INITIAL_BACKOFF", "0.2", lambda s: s.retry.initial_backoff, 0.2),
        ("RETRY_MAX_BACKOFF", "3", lambda s: s.retry.max_backoff, 3.0),
        ("RETRY_MULTIPLIER", "1.5", lambda s: s.retry.multiplier, 1.5),
        ("RETRY_JITTER", "0", lambda s: s.retry.jitter, 0.0),
        (
            "RETRY_RETRYABLE_CODES",
            "unavailable, RESOURCE_EXHAUSTED",
            lambda s: s.retry.retryable_codes,
            {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED},
        ),
        ("RETRY_RETRYABLE_CODES", "none", lambda s: s.retry.retryable_codes, frozenset()),
        ("RETRY_ATTEMPT_TIMEOUT", "0.75", lambda s: s.retry.attempt_timeout, 0.75),
        (
            "CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD",
            "25.5",
            lambda s: s.circuit_breaker.failure_rate_threshold,
            25.5,
        ),
        ("CIRCUIT_BREAKER_MINIMUM_CALLS", "8", lambda s: s.circuit_breaker.minimum_calls, 8),
        ("CIRCUIT_BREAKER_WINDOW_SIZE", "40", lambda s: s.circuit_breaker.window_size, 40),
        ("CIRCUIT_BREAKER_RESET_TIMEOUT", "30", lambda s: s.circuit_breaker.reset_timeout, 30.0),
        ("CIRCUIT_BREAKER_HALF_OPEN_CALLS", "3", lambda s: s.circuit_breaker.half_open_calls, 3),
        (
            "CIRCUIT_BREAKER_FAILURE_CODES",
            "INTERNAL",
            lambda s: s.circuit_breaker.failure_codes,
            {grpc.StatusCode.INTERNAL},
        ),
        ("CIRCUIT_BREAKER_SCOPE", "method", lambda s: s.circuit_breaker.scope, "method"),
        ("CIRCUIT_BREAKER_ENABLED", "off", lambda s: s.circuit_breaker.enabled, False),
        ("BULKHEAD_MAX_IN_FLIGHT", "20", lambda s: s.bulkhead.max_in_flight, 20),
        ("BULKHEAD_WAIT", "No", lambda s: s.bulkhead.wait, False),
        ("KEEPALIVE_TIME_MS", "10000", lambda s: s.keepalive, KeepaliveSettings(10_000)),
        ("TLS", "true", lambda s: s.tls, TlsSettings()),
        (
            "TLS_SERVER_NAME_OVERRIDE",
            "users.internal",
            lambda s: s.tls,
            TlsSettings(server_name_override="users.internal"),
        ),
    ],
)
def test_each_variable_overrides_its_setting(
    variable: str, value: str, read: Read, expected: object
) -> None:
    settings = _apply({f"USERS_GRPC_{variable}": value})

    assert read(settings) == expected


def test_a_policy_keeps_the_registered_fields_the_environment_does_not_set() -> None:
    registered = GrpcClientSettings.create(
        "users:50051",
        retry=RetryPolicy(max_attempts=5, jitter=0),
        circuit_breaker=CircuitBreakerPolicy.disabled(),
    )

    settings = _apply({"USERS_GRPC_RETRY_MAX_BACKOFF": "2"}, registered)

    assert settings.retry == RetryPolicy(max_attempts=5, jitter=0, max_backoff=2.0)
    assert settings.circuit_breaker == CircuitBreakerPolicy.disabled()


def test_host_and_port_give_the_target_as_the_environment_registry_reads_them() -> None:
    environ = {"USERS_GRPC_HOST": "users.prod", "USERS_GRPC_PORT": "7000"}

    assert _apply(environ).target == "users.prod:7000"
    assert _apply({"USERS_GRPC_HOST": "users.prod"}).target == "users.prod:50051"


@pytest.mark.parametrize(
    ("environ", "variable", "says"),
    [
        pytest.param(
            {"USERS_GRPC_TARGET": "a:1", "USERS_GRPC_HOST": "b"},
            "USERS_GRPC_TARGET",
            "and USERS_GRPC_HOST both give the address; keep one of them",
            id="target-and-host",
        ),
        pytest.param(
            {"USERS_GRPC_PORT": "7000"},
            "USERS_GRPC_PORT",
            "the environment has no USERS_GRPC_HOST",
            id="port-without-host",
        ),
        pytest.param(
            {"USERS_GRPC_HOST": "users.prod", "USERS_GRPC_PORT": "fifty"},
            "USERS_GRPC_HOST, USERS_GRPC_PORT",
            "USERS_GRPC_PORT must be a port number from 1 to 65535, got 'fifty'",
            id="bad-port",
        ),
        pytest.param(
            {"USERS_GRPC_HOST": "users.prod", "USERS_GRPC_PORT": "99999"},
            "USERS_GRPC_HOST, USERS_GRPC_PORT",
            "USERS_GRPC_PORT must be a port number from 1 to 65535, got '99999'",
            id="port-out-of-range",
        ),
        pytest.param(
            {"USERS_GRPC_HOST": "http://users.prod"},
            "USERS_GRPC_HOST",
            "USERS_GRPC_HOST must be a host name or an IP address, without a port or scheme",
            id="host-with-scheme",
        ),
        pytest.param(
            {"USERS_GRPC_HOST": "10.0.0.300"},
            "USERS_GRPC_HOST",
            "USERS_GRPC_HOST must be a host name or an IP address",
            id="host-not-an-ip",
        ),
    ],
)
def test_an_address_the_variables_cannot_make_is_refused(
    environ: dict[str, str], variable: str, says: str
) -> None:
    error = _refusal(environ)

    assert error.variable == variable
    assert says in str(error)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TARGET", "users prod:1", "target 'users prod:1' has a space"),
        ("TARGET", "127.0.0.1:99999", "target '127.0.0.1:99999' has port '99999'"),
        ("TARGET", "users:", "target 'users:' ends in ':' with no port"),
        ("TARGET", "http://users:50051", "is a URL, but grpc has no http:// scheme"),
        ("TARGET", "ipv4:10.0.0.1", "the ipv4: scheme needs one for each"),
        ("TIMEOUT", "soon", "must be a number, got 'soon'"),
        ("TIMEOUT", "0", "default_timeout must be a number of seconds above 0"),
        ("TIMEOUT", "inf", "default_timeout must be a number of seconds above 0"),
        ("MAX_SEND_MESSAGE_LENGTH", "4MB", "must be a whole number, got '4MB'"),
        ("MAX_SEND_MESSAGE_LENGTH", "0", "max_send_message_length must be a positive int"),
        ("COMPRESSION", "brotli", "one of ['deflate', 'gzip', 'none'], got 'brotli'"),
        ("LOAD_BALANCING", "least_request", "load_balancing must be None or one of"),
        ("MAX_RECONNECT_BACKOFF", "0", "max_reconnect_backoff must be None"),
        ("RETRY_MAX_ATTEMPTS", "0", "max_attempts must be an int of at least 1"),
        ("RETRY_MULTIPLIER", "0.5", "multiplier must be a finite number >= 1"),
        ("RETRY_JITTER", "nan", "jitter must be a number of seconds from 0 to 1e+08"),
        ("RETRY_RETRYABLE_CODES", "UNAVAILABLE,,", "must be grpc status code names"),
        ("RETRY_RETRYABLE_CODES", "OK", "retryable_codes cannot hold OK: OK is a success"),
        ("CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD", "0", "failure_rate_threshold must be a"),
        ("CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD", "50%", "must be a number, got '50%'"),
        ("CIRCUIT_BREAKER_MINIMUM_CALLS", "0", "minimum_calls must be an int of at least 1"),
        ("CIRCUIT_BREAKER_WINDOW_SIZE", "1.5", "must be a whole number, got '1.5'"),
        ("CIRCUIT_BREAKER_HALF_OPEN_CALLS", "0", "half_open_calls must be an int of at least 1"),
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "5", "no longer exists: the circuit breaker opens"),
        ("CIRCUIT_BREAKER_SCOPE", "service", "scope must be 'target' or 'method'"),
        ("CIRCUIT_BREAKER_ENABLED", "maybe", "must be one of ['1', 'on', 'true', 'yes']"),
        ("BULKHEAD_MAX_IN_FLIGHT", "-1", "max_in_flight must be an int of at least 1"),
        ("KEEPALIVE_TIME_MS", "0", "keepalive time_ms must be an int from 1"),
        ("TLS", "sometimes", "must be one of ['1', 'on', 'true', 'yes']"),
        ("TLS_SERVER_NAME_OVERRIDE", "users internal", "server_name_override must be a host"),
        ("TIMEOUT", "", "is empty; unset it to keep the registered setting"),
        ("TARGET", "  ", "is empty; unset it to keep the registered setting"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_naming_its_variable(
    variable: str, value: str, says: str
) -> None:
    error = _refusal({f"USERS_GRPC_{variable}": value})

    assert error.variable == f"USERS_GRPC_{variable}"
    assert str(error).startswith(f"USERS_GRPC_{variable}: ")
    assert says in str(error)
    assert isinstance(error, InvalidGrpcClientSettings)


def test_a_registered_option_the_environment_contradicts_is_blamed_on_the_variable() -> None:
    registered = GrpcClientSettings.create(
        "users:50051", options={"grpc.max_send_message_length": 10}
    )

    error = _refusal({"USERS_GRPC_MAX_SEND_MESSAGE_LENGTH": "20"}, registered)

    assert error.variable == "USERS_GRPC_MAX_SEND_MESSAGE_LENGTH"
    assert "is set both as a setting and in options" in str(error)


def test_keepalive_is_turned_on_by_its_interval_and_takes_the_other_fields_with_it() -> None:
    environ = {
        "USERS_GRPC_KEEPALIVE_TIME_MS": "10000",
        "USERS_GRPC_KEEPALIVE_TIMEOUT_MS": "5000",
        "USERS_GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS": "true",
        "USERS_GRPC_KEEPALIVE_MAX_PINGS_WITHOUT_DATA": "0",
    }

    assert _apply(environ).keepalive == KeepaliveSettings(10_000, 5_000, True, 0)


def test_a_keepalive_field_alone_changes_a_registered_keepalive() -> None:
    registered = GrpcClientSettings.create("users:50051", keepalive=KeepaliveSettings(30_000))

    settings = _apply({"USERS_GRPC_KEEPALIVE_TIMEOUT_MS": "1000"}, registered)

    assert settings.keepalive == KeepaliveSettings(30_000, timeout_ms=1_000)


def test_a_keepalive_field_without_the_interval_cannot_turn_keepalive_on() -> None:
    error = _refusal({"USERS_GRPC_KEEPALIVE_TIMEOUT_MS": "1000"})

    assert str(error) == (
        "USERS_GRPC_KEEPALIVE_TIMEOUT_MS: keepalive is off for this service; "
        "USERS_GRPC_KEEPALIVE_TIME_MS turns it on"
    )


@pytest.fixture
def ca_file(certificates: Certificates, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(certificates.ca.cert_pem.bytes())
    return path


def test_tls_material_comes_as_a_path_or_as_pem_text(
    certificates: Certificates, ca_file: Path
) -> None:
    key = certificates.client.private_key_pem.bytes().decode()
    chain = certificates.chain(certificates.client).decode()

    settings = _apply(
        {
            "USERS_GRPC_TLS_ROOT_CERTIFICATES": str(ca_file),
            "USERS_GRPC_TLS_PRIVATE_KEY": key,
            "USERS_GRPC_TLS_CERTIFICATE_CHAIN": chain,
        }
    )

    assert settings.tls is not None
    assert settings.tls.root_certificates == certificates.ca.cert_pem.bytes()
    assert settings.tls.private_key == key.strip().encode()  # the text, bar its final newline
    assert settings.tls.certificate_chain == chain.strip().encode()


def test_tls_fields_change_a_registered_tls_and_keep_the_rest(
    certificates: Certificates,
) -> None:
    registered = GrpcClientSettings.create("users:50051", tls=certificates.client_tls())

    settings = _apply({"USERS_GRPC_TLS_SERVER_NAME_OVERRIDE": "users.internal"}, registered)

    assert settings.tls == certificates.client_tls(server_name_override="users.internal")


def test_tls_can_be_turned_off_for_a_plaintext_environment(certificates: Certificates) -> None:
    registered = GrpcClientSettings.create("users:50051", tls=certificates.client_tls())

    assert _apply({"USERS_GRPC_TLS": "false"}, registered).tls is None
    assert _apply({"USERS_GRPC_TLS": "true"}, registered).tls == certificates.client_tls()


@pytest.mark.parametrize(
    ("environ", "variable", "says", "cause"),
    [
        pytest.param(
            {"USERS_GRPC_TLS": "0", "USERS_GRPC_TLS_SERVER_NAME_OVERRIDE": "a.internal"},
            "USERS_GRPC_TLS, USERS_GRPC_TLS_SERVER_NAME_OVERRIDE",
            "tls is turned off and given settings at once; unset one or the other",
            ValueError,
            id="off-and-given",
        ),
        pytest.param(
            {"USERS_GRPC_TLS_ROOT_CERTIFICATES": "/nonexistent/ca.pem"},
            "USERS_GRPC_TLS_ROOT_CERTIFICATES",
            "root_certificates: cannot read '/nonexistent/ca.pem'",
            InvalidTlsSettings,
            id="unreadable",
        ),
        pytest.param(
            {"USERS_GRPC_TLS_PRIVATE_KEY": "/keys/client.key"},
            "USERS_GRPC_TLS_PRIVATE_KEY",
            "private_key needs certificate_chain",
            InvalidTlsSettings,
            id="half-a-key-pair",
        ),
    ],
)
def test_tls_variables_that_cannot_make_tls_settings_are_refused(
    environ: dict[str, str], variable: str, says: str, cause: type[Exception]
) -> None:
    error = _refusal(environ)

    assert error.variable == variable
    assert says in str(error)
    assert isinstance(error.__cause__, cause)


def test_a_private_key_given_as_text_is_never_repeated(certificates: Certificates) -> None:
    key = certificates.client.private_key_pem.bytes().decode()

    error = _refusal({"USERS_GRPC_TLS_PRIVATE_KEY": key})

    assert "private_key needs certificate_chain" in str(error)
    assert "PRIVATE KEY" not in str(error)
    assert key not in repr(error.args)


def test_a_private_key_that_lost_its_pem_lines_is_not_quoted_as_a_path(
    certificates: Certificates,
) -> None:
    """Without ``-----BEGIN`` the text is taken for a path, and a path is usually quoted."""
    pem = certificates.client.private_key_pem.bytes().decode()
    blob = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    chain = Certificates.chain(certificates.client).decode()

    error = _refusal(
        {"USERS_GRPC_TLS_PRIVATE_KEY": blob, "USERS_GRPC_TLS_CERTIFICATE_CHAIN": chain}
    )

    assert "private_key: cannot read the path given" in str(error)
    assert blob not in "".join(traceback.format_exception(error))


def test_a_bearer_token_from_the_environment_rides_on_its_tls(ca_file: Path) -> None:
    environ = {"USERS_GRPC_TLS_ROOT_CERTIFICATES": str(ca_file), "USERS_GRPC_BEARER_TOKEN": TOKEN}

    settings = _apply(environ)

    assert settings.bearer_token is not None
    assert settings.bearer_token.current() == TOKEN
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "variable", "says"),
    [
        pytest.param(
            {"USERS_GRPC_BEARER_TOKEN": TOKEN},
            "USERS_GRPC_BEARER_TOKEN",
            "bearer_token needs tls=TlsSettings(...)",
            id="no-tls",
        ),
        pytest.param(
            {"USERS_GRPC_TLS": "yes", "USERS_GRPC_BEARER_TOKEN": f"Bearer {TOKEN}"},
            "USERS_GRPC_BEARER_TOKEN",
            "starts with 'Bearer ': give the token alone",
            id="with-the-scheme",
        ),
    ],
)
def test_a_bearer_token_that_cannot_be_sent_is_refused_and_never_repeated(
    environ: dict[str, str], variable: str, says: str
) -> None:
    error = _refusal(environ)

    assert error.variable == variable
    assert says in str(error)
    assert isinstance(error.__cause__, InvalidBearerToken)
    assert TOKEN not in str(error)


def test_turning_tls_off_under_a_registered_bearer_token_is_refused(
    certificates: Certificates,
) -> None:
    registered = GrpcClientSettings.create(
        "users:50051", tls=certificates.client_tls(), bearer_token=TOKEN
    )

    error = _refusal({"USERS_GRPC_TLS": "off"}, registered)

    assert error.variable == "USERS_GRPC_TLS"
    assert "bearer_token needs tls" in str(error)
    assert TOKEN not in str(error)


def test_each_service_reads_only_its_own_variables() -> None:
    environ: dict[str, Any] = {"USERS_GRPC_TIMEOUT": "1", "ORDERS_GRPC_TIMEOUT": "2"}
    environment = GrpcClientEnvironment(environ)

    assert environment.apply("users", REGISTERED)[0].default_timeout == 1.0
    assert environment.apply("orders", REGISTERED)[0].default_timeout == 2.0


@pytest.mark.parametrize(
    ("variable", "meant"),
    [
        ("USERS_GRPC_DEFAULT_TIMEOUT", "USERS_GRPC_TIMEOUT"),
        ("USERS_GRPC_RETRY_MAX_ATTEMPT", "USERS_GRPC_RETRY_MAX_ATTEMPTS"),
        ("USERS_GRPC_LOADBALANCING", "USERS_GRPC_LOAD_BALANCING"),
        ("USERS_GRPC_HOSTNAME", "USERS_GRPC_HOST"),
        ("USERS_GRPC_TLS_CA", "USERS_GRPC_TLS"),
    ],
)
def test_a_variable_of_the_service_that_is_no_setting_is_refused_naming_the_closest(
    variable: str, meant: str
) -> None:
    error = _refusal({variable: "3", "USERS_GRPC_TIMEOUT": "2"})

    assert error.variable == variable
    assert str(error) == (
        f"{variable}: is not a setting of the 'users' client; did you mean {meant}?"
    )


def test_an_unknown_variable_like_no_setting_is_refused_listing_every_variable_read() -> None:
    error = _refusal({"USERS_GRPC_ZZ": TOKEN})

    assert str(error).startswith(
        "USERS_GRPC_ZZ: is not a setting of the 'users' client; the variables read for it are "
        "USERS_GRPC_TARGET, USERS_GRPC_HOST, USERS_GRPC_PORT, USERS_GRPC_TIMEOUT, "
    )
    assert str(error).endswith(", USERS_GRPC_SENT_IDS, USERS_GRPC_FAILURE_LOG_LEVELS")
    assert TOKEN not in str(error)  # a value is never quoted: it may be a secret


def test_of_several_unknown_variables_the_first_in_sorted_order_is_named() -> None:
    error = _refusal({"USERS_GRPC_TIMEOUTS": "1", "USERS_GRPC_DEADLINE": "1"})

    assert error.variable == "USERS_GRPC_DEADLINE"


def test_a_retired_variable_is_still_refused_with_its_own_reason() -> None:
    error = _refusal({"USERS_GRPC_CIRCUIT_BREAKER_FAILURE_THRESHOLD": "5"})

    assert "no longer exists" in str(error)


def test_the_variables_of_a_service_whose_name_starts_with_this_one_s_are_left_to_it() -> None:
    environ = {"USERS_GRPC_ADMIN_GRPC_TIMEOUT": "7", "USERS_GRPC_ADMIN_GRPC_HOST": "admin"}
    environment = GrpcClientEnvironment(environ)

    assert environment.apply("users", REGISTERED) == (REGISTERED, ())
    admin, used = environment.apply("users-grpc-admin", REGISTERED)
    assert (admin.target, admin.default_timeout) == ("admin:50051", 7.0)
    assert used == ("USERS_GRPC_ADMIN_GRPC_HOST", "USERS_GRPC_ADMIN_GRPC_TIMEOUT")


def test_variables_of_unregistered_services_and_other_programs_are_not_the_registry_s() -> None:
    environ = {"ORDERS_GRPC_DEFAULT_TIMEOUT": "1", "USERS_GRPC": "x", "USERSGRPC_TIMEOUT": "1"}

    assert GrpcClientEnvironment(environ).apply("users", REGISTERED) == (REGISTERED, ())
