"""TLS, mTLS and bearer tokens against real TLS servers, through call and call_async alike.

A transport failure must come back as a response, so every refusal here is
asserted as an UNAVAILABLE response with nothing received by the server: a
hang would end in DEADLINE_EXCEEDED instead, and an exception would fail the test.
"""

import itertools
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from grpc_request_client import (
    GrpcClient,
    InvalidBearerToken,
    InvalidGrpcClientSettings,
    InvalidGrpcMetadata,
    KeepaliveSettings,
    TlsSettings,
)
from grpc_request_client.security import BearerTokenInput
from tests.conftest import Invoke
from tests.Support.Certificates import RENAMED_HOST, Certificates
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

TOKEN = "fixed-token-4f9a1c"  # a fake secret: the tests look for it where it must not be
UNAVAILABLE = "UNAVAILABLE"


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[RunningServer]:
    with RunningServer.start(credentials=certificates.server_credentials()) as running:
        yield running


@pytest.fixture
def renamed_server(certificates: Certificates) -> Iterator[RunningServer]:
    credentials = certificates.server_credentials(certificates.renamed_server)
    with RunningServer.start(credentials=credentials) as running:
        yield running


@pytest.fixture
def mtls_server(certificates: Certificates) -> Iterator[RunningServer]:
    credentials = certificates.server_credentials(require_client_cert=True)
    with RunningServer.start(credentials=credentials) as running:
        yield running


def _client(
    server: RunningServer,
    tls: TlsSettings | None,
    *,
    bearer_token: BearerTokenInput | None = None,
    keepalive: KeepaliveSettings | None = None,
) -> GrpcClient:
    return GrpcClient(
        server.target,
        default_timeout=10.0,
        tls=tls,
        bearer_token=bearer_token,
        keepalive=keepalive,
    )


async def test_a_client_trusting_the_servers_ca_gets_its_answer(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(tls_server, certificates.client_tls()) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success(), response.details()
    assert response.message().name == "user 7"


async def test_a_client_trusting_another_ca_gets_an_unavailable_response(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(tls_server, certificates.stranger_tls()) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code().name == UNAVAILABLE
    assert tls_server.service.received == []


async def test_a_plaintext_client_gets_an_unavailable_response_from_a_tls_server(
    tls_server: RunningServer, invoke: Invoke
) -> None:
    with _client(tls_server, None) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code().name == UNAVAILABLE
    assert tls_server.service.received == []


async def test_a_certificate_for_another_name_is_refused(
    renamed_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(renamed_server, certificates.client_tls()) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code().name == UNAVAILABLE
    assert renamed_server.service.received == []


async def test_server_name_override_checks_the_certificate_against_that_name(
    renamed_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    tls = certificates.client_tls(server_name_override=RENAMED_HOST)
    with _client(renamed_server, tls) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success(), response.details()


async def test_a_client_certificate_gets_through_a_server_that_requires_one(
    mtls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(mtls_server, certificates.mutual_tls()) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success(), response.details()


async def test_a_server_that_requires_a_client_certificate_refuses_a_client_without_one(
    mtls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(mtls_server, certificates.client_tls()) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code().name == UNAVAILABLE
    assert mtls_server.service.received == []


async def test_a_fixed_bearer_token_goes_with_every_call(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(tls_server, certificates.client_tls(), bearer_token=TOKEN) as client:
        for user_id in ("1", "2"):
            assert (await invoke(client, ScriptedRequest(user_id))).is_success()

    sent = [metadata["authorization"] for metadata in tls_server.service.received]
    assert sent == [f"Bearer {TOKEN}"] * 2


async def test_a_fixed_bearer_token_counts_toward_the_metadata_a_server_takes(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    token = "t" * 2000  # authorization: Bearer <token> is 13 + 7 + 2000 + 32 bytes
    request = ScriptedRequest("1", metadata={"x-big": "v" * 5500})
    with _client(tls_server, certificates.client_tls()) as client:
        assert (await invoke(client, request)).is_success()

    with (
        _client(tls_server, certificates.client_tls(), bearer_token=token) as client,
        pytest.raises(InvalidGrpcMetadata, match="2052 of them the bearer token's") as raised,
    ):
        await invoke(client, request)

    assert raised.value.key == "x-big"
    assert token not in str(raised.value)
    assert len(tls_server.service.received) == 1


async def test_a_token_provider_is_asked_on_every_call_so_the_token_can_rotate(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    numbers = itertools.count(1)

    def rotating() -> str:
        return f"token-{next(numbers)}"

    with _client(tls_server, certificates.client_tls(), bearer_token=rotating) as client:
        for user_id in ("1", "2", "3"):
            assert (await invoke(client, ScriptedRequest(user_id))).is_success()

    sent = [metadata["authorization"] for metadata in tls_server.service.received]
    assert sent == ["Bearer token-1", "Bearer token-2", "Bearer token-3"]


async def test_a_failing_token_provider_fails_the_call_as_a_response_without_its_message(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    def broken() -> str:
        raise RuntimeError(f"refresh failed for {TOKEN}")

    with _client(tls_server, certificates.client_tls(), bearer_token=broken) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code().name == UNAVAILABLE
    assert "the bearer token provider raised RuntimeError" in response.details()
    assert TOKEN not in response.details()
    assert tls_server.service.received == []


async def test_a_provider_answering_an_unusable_token_fails_the_call_as_a_response(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    with _client(tls_server, certificates.client_tls(), bearer_token=lambda: "") as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.status_code().name == UNAVAILABLE
    assert "must be non-empty printable ASCII" in response.details()
    assert tls_server.service.received == []


async def test_keepalive_settings_leave_calls_working(
    tls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    keepalive = KeepaliveSettings(time_ms=10_000, timeout_ms=5_000, permit_without_calls=True)
    with _client(tls_server, certificates.client_tls(), keepalive=keepalive) as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success(), response.details()


async def test_neither_the_token_nor_the_key_reaches_a_log_line_or_a_repr(
    mtls_server: RunningServer, certificates: Certificates, invoke: Invoke
) -> None:
    key_lines = [
        line
        for line in certificates.client.private_key_pem.bytes().decode().splitlines()
        if not line.startswith("-----")
    ]
    client = _client(mtls_server, certificates.mutual_tls(), bearer_token=TOKEN)
    with capture_logs() as logs, client:
        found = await invoke(client, ScriptedRequest("7"))
        missing = await invoke(client, ScriptedRequest("404"))
    shown = " ".join((repr(client), repr(client.settings), str(client.settings), repr(logs)))

    assert found.is_success()
    assert missing.status_code().name == "NOT_FOUND"
    assert {"grpc.call.succeeded", "grpc.call.failed"} <= {entry["event"] for entry in logs}
    assert mtls_server.service.received[-1]["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in shown
    assert [line for line in key_lines if line in shown] == []


def test_a_bearer_token_without_tls_fails_at_construction_without_showing_it() -> None:
    with pytest.raises(InvalidBearerToken, match="bearer_token needs tls=") as raised:
        GrpcClient("localhost:50051", bearer_token=TOKEN)

    assert TOKEN not in str(raised.value)


def test_a_malformed_bearer_token_fails_at_construction_without_showing_it(
    certificates: Certificates,
) -> None:
    with pytest.raises(InvalidBearerToken, match="without spaces") as raised:
        GrpcClient("localhost:50051", tls=certificates.client_tls(), bearer_token=f"{TOKEN} x")

    assert TOKEN not in str(raised.value)


def test_tls_given_as_the_seeds_dict_fails_at_construction(certificates: Certificates) -> None:
    seed_style = {"root_certificates": certificates.ca.cert_pem.bytes()}

    with pytest.raises(InvalidGrpcClientSettings, match="tls must be a TlsSettings or None"):
        GrpcClient("localhost:50051", tls=seed_style)  # type: ignore[arg-type]
