"""Where the library's events go: nowhere unless the application asked; then as it configured.

structlog keeps its configuration in one global, and ``capture_logs()`` leaves it
"configured" in the process that used it, so the test that nothing is printed
runs its calls in a fresh interpreter, capturing its file descriptors; the
in-process tests reset structlog to its defaults around themselves.
"""

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import structlog
from structlog.testing import capture_logs

from grpc_request_client import GrpcClient, GrpcClientRegistry, RequestContext
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

LIBRARY = "grpc_request_client"
REPOSITORY = Path(__file__).resolve().parents[4]
# One success, one answer about the request (INFO by default), one server failure (WARNING).
QUIET_CALLS = textwrap.dedent(
    """
    import asyncio
    import sys

    from grpc_request_client import GrpcClient
    from tests.Support.ScriptedRequest import ScriptedRequest

    target, mode = sys.argv[1:]
    requests = [ScriptedRequest(user_id) for user_id in ("1", "404", "always-INTERNAL")]

    async def called(client):
        return [await client.call_async(request) for request in requests]

    with GrpcClient(target, default_timeout=10.0) as client:
        if mode == "sync":
            responses = [client.call(request) for request in requests]
        else:
            responses = asyncio.run(called(client))
    codes = [response.status_code().name for response in responses]
    sys.exit(0 if codes == ["OK", "NOT_FOUND", "INTERNAL"] else 3)
    """
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_with_nothing_configured_a_success_and_failures_print_nothing(
    server: RunningServer, mode: str
) -> None:
    ran = subprocess.run(  # noqa: S603  # our own interpreter and script
        [sys.executable, "-c", QUIET_CALLS, server.target, mode],
        capture_output=True,
        timeout=60,
        cwd=REPOSITORY,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    assert len(server.service.received) == 3
    assert (ran.stdout, ran.stderr) == (b"", b"")


@pytest.fixture
def structlog_unconfigured() -> Iterator[None]:
    structlog.reset_defaults()
    try:
        yield
    finally:
        structlog.reset_defaults()


def _library_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith(LIBRARY)]


@pytest.mark.usefixtures("structlog_unconfigured")
async def test_with_logging_at_debug_each_event_is_a_record_of_the_library_with_its_fields(
    client: GrpcClient, server: RunningServer, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LIBRARY)

    with RequestContext.scope(trace_id="trace-std-0001") as context:
        await invoke(client, ScriptedRequest("1"))
        await invoke(client, ScriptedRequest("404", metadata={"x-client-version": "1.0"}))

    succeeded, failed = _library_records(caplog)
    assert (succeeded.name, succeeded.levelno) == ("grpc_request_client.calls", logging.DEBUG)
    assert (failed.name, failed.levelno) == ("grpc_request_client.calls", logging.INFO)
    fields = vars(succeeded)
    assert (fields["service"], fields["method"], fields["code"]) == (
        "user.UserService",
        "GetUser",
        "OK",
    )
    assert (fields["trace_id"], fields["correlation_id"]) == (
        "trace-std-0001",
        context.correlation_id,
    )
    assert fields["duration_ms"] > 0
    target = client.settings.target
    assert succeeded.getMessage().startswith(
        f"grpc.call.succeeded service=user.UserService method=GetUser target={target} code=OK "
    )
    assert vars(failed)["details"] == "user 404 not found"
    assert vars(failed)["metadata"]["x-client-version"] == "1.0"
    assert " code=NOT_FOUND " in failed.getMessage()
    assert " details='user 404 not found' " in failed.getMessage()
    assert succeeded.filename == failed.filename == "stages.py"  # where the event was made


@pytest.mark.usefixtures("structlog_unconfigured")
async def test_a_configuration_made_after_the_client_was_built_is_followed(
    server: RunningServer, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    with GrpcClient(server.target, default_timeout=10.0) as client:
        await invoke(client, ScriptedRequest("1"))  # logging's default level: WARNING
        assert _library_records(caplog) == []

        caplog.set_level(logging.DEBUG, logger=LIBRARY)
        await invoke(client, ScriptedRequest("1"))
        assert [record.levelno for record in _library_records(caplog)] == [logging.DEBUG]

        with capture_logs() as logs:  # structlog configured: its events go there only
            await invoke(client, ScriptedRequest("1"))
        assert [event["event"] for event in logs] == ["grpc.call.succeeded"]
        assert len(_library_records(caplog)) == 1

        structlog.reset_defaults()
        caplog.set_level(logging.INFO, logger=LIBRARY)
        await invoke(client, ScriptedRequest("1"))
        await invoke(client, ScriptedRequest("404"))
        assert [record.levelno for record in _library_records(caplog)] == [
            logging.DEBUG,
            logging.INFO,
        ]


@pytest.mark.usefixtures("structlog_unconfigured")
async def test_with_structlog_configured_the_events_go_through_it_and_not_logging(
    client: GrpcClient, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LIBRARY)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))

    with capture_logs() as logs:
        await invoke(client, ScriptedRequest("1"))
        await invoke(client, ScriptedRequest("404"))

    assert [(event["event"], event["log_level"]) for event in logs] == [
        ("grpc.call.succeeded", "debug"),
        ("grpc.call.failed", "info"),
    ]
    assert _library_records(caplog) == []


@pytest.mark.usefixtures("structlog_unconfigured")
async def test_a_credential_is_in_no_record_and_no_rendered_message(
    client: GrpcClient, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LIBRARY)
    secrets = {
        "authorization": "Bearer s3cr3t-jwt",
        "x-api-key": "s3cr3t-key",
        "cookie": "s=s3cr3t",
    }

    await invoke(client, ScriptedRequest("404", metadata=secrets))

    (record,) = _library_records(caplog)
    assert "s3cr3t" not in caplog.text
    assert "s3cr3t" not in repr(vars(record))
    assert vars(record)["metadata"]["authorization"] == "[redacted]"


# The codes OpenTelemetry's conventions count as the server's errors: warnings by default.
SERVER_FAILURES = frozenset(
    {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}
)
# Every non-OK code, with the level its failure is logged at by default.
DEFAULT_LEVELS = [
    pytest.param(code, "warning" if code.name in SERVER_FAILURES else "info", id=code.name)
    for code in grpc.StatusCode
    if code is not grpc.StatusCode.OK
]


def _failed_levels(logs: list[dict[str, object]]) -> list[object]:
    return [event["log_level"] for event in logs if event["event"] == "grpc.call.failed"]


@pytest.mark.parametrize(("code", "level"), DEFAULT_LEVELS)
async def test_by_default_only_the_server_s_failures_are_warnings(
    client: GrpcClient, invoke: Invoke, code: grpc.StatusCode, level: str
) -> None:
    with capture_logs() as logs:
        response = await invoke(client, ScriptedRequest(f"always-{code.name}"))

    assert response.status_code() is code
    assert _failed_levels(logs) == [level]


async def test_the_level_of_each_code_may_be_chosen(server: RunningServer, invoke: Invoke) -> None:
    levels = {"NOT_FOUND": "error", grpc.StatusCode.INTERNAL: logging.DEBUG}
    with GrpcClient(server.target, failure_log_levels=levels) as client, capture_logs() as logs:
        for user_id in ("404", "always-INTERNAL", "always-UNAVAILABLE", "always-ABORTED"):
            await invoke(client, ScriptedRequest(user_id))

    assert _failed_levels(logs) == ["error", "debug", "warning", "info"]


@pytest.mark.usefixtures("structlog_unconfigured")
async def test_a_chosen_level_is_the_record_s_level_with_logging_too(
    server: RunningServer, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LIBRARY)
    levels = {"NOT_FOUND": "critical", "UNAVAILABLE": "info"}
    with GrpcClient(server.target, failure_log_levels=levels) as client:
        await invoke(client, ScriptedRequest("404"))
        await invoke(client, ScriptedRequest("always-UNAVAILABLE"))  # below WARNING: not made

    assert [(r.levelno, vars(r)["code"]) for r in _library_records(caplog)] == [
        (logging.CRITICAL, "NOT_FOUND")
    ]


@pytest.mark.usefixtures("structlog_unconfigured")
def test_the_registry_s_event_is_a_record_of_its_own_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LIBRARY)

    GrpcClientRegistry({"USERS_GRPC_TIMEOUT": "3"}).register("users", "users:50051")

    (record,) = _library_records(caplog)
    assert (record.name, record.levelno) == ("grpc_request_client.registry", logging.INFO)
    assert record.getMessage() == (
        "grpc.client.registered service=users target=users:50051 environment=['USERS_GRPC_TIMEOUT']"
    )
