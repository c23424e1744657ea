"""SendEvidence on the details grpc gives in each situation (table in docs/resilience.md).

Each text is what grpcio 1.85.3 gave, except those whose id names older grpc,
quoted from reports of those releases.

The real-server side, where each of these is produced and read back from a
response, is in test_send_evidence_against_servers.py.
"""

import grpc
import pytest

from grpc_request_client.grpcio_transport import SendEvidence

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE

NEVER_SENT = [
    pytest.param(
        UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:48477: "
        "Failed to connect to remote host: Connection refused",
        id="pick_first-connection-refused",
    ),
    pytest.param(
        UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:0.0.0.0:6334: "
        "Failed to connect to remote host: connect: Connection refused (61)",
        id="pick_first-connection-refused-older-grpc",
    ),
    pytest.param(
        UNAVAILABLE,
        "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:45067: "
        "recvmsg:Connection reset by peer (104)",
        id="pick_first-after-its-connection-died",
    ),
    pytest.param(
        UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:41519: "
        "Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: error:1000007d:SSL "
        "routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED: unable to get local issuer "
        "certificate: OK",
        id="pick_first-tls-handshake-failed",
    ),
    pytest.param(
        UNAVAILABLE,
        "failed to connect to all addresses; last error: FAILED_PRECONDITION: "
        "unix:/tmp/nope.sock: connect failed: addr: unix:/tmp/nope.sock error: "
        "No such file or directory",
        id="pick_first-unix-socket-missing",
    ),
    pytest.param(
        UNAVAILABLE,
        "connections to all backends failing; last error: UNKNOWN: ipv4:127.0.0.1:33555: "
        "Failed to connect to remote host: Connection refused",
        id="round_robin-connection-refused",
    ),
    pytest.param(
        UNAVAILABLE,
        "empty address list\n=== Source Location Trace: ===\nsrc/core/util/status_helper.cc:68\n",
        id="empty-address-list",
    ),
    pytest.param(
        UNAVAILABLE,
        "errors resolving foo.test:50051: [field:hostname lookup error:address lookup failed "
        "for foo.test:50051: Could not contact DNS servers]",
        id="dns-event-engine-resolver",
    ),
    pytest.param(
        UNAVAILABLE,
        "DNS resolution failed for users.internal:50051: C-ares status is not ARES_SUCCESS "
        "qtype=A name=users.internal is_balancer=0: Domain name not found",
        id="dns-c-ares-resolver-older-grpc",
    ),
    pytest.param(
        UNAVAILABLE,
        "Getting metadata from plugin failed with error: "
        "the bearer token provider raised RuntimeError",
        id="call-credentials-failed",
    ),
    pytest.param(
        grpc.StatusCode.INTERNAL, "Exception serializing request!", id="sync-serialization"
    ),
    pytest.param(
        grpc.StatusCode.UNKNOWN,
        "Failed to create channel to 'ipv4:abc':the target uri is not valid: ipv4:abc",
        id="lame-channel",
    ),
]

NOT_PROVEN = [
    pytest.param(UNAVAILABLE, "Stream removed (Socket closed)", id="server-killed-mid-call"),
    pytest.param(
        UNAVAILABLE,
        "Stream removed (recvmsg:Connection reset by peer (104))",
        id="connection-reset-mid-call",
    ),
    pytest.param(UNAVAILABLE, "Cancelling all calls", id="server-stopped-with-grace"),
    pytest.param(
        UNAVAILABLE,
        "Stream removed (GOAWAY received; Error code: 0; Debug Text: bye)",
        id="goaway-refused-stream",
    ),
    pytest.param(
        UNAVAILABLE,
        "Stream removed (recvmsg:Connection reset by peer (104) (GOAWAY received; Error code: "
        "11; Debug Text: too_many_pings))",
        id="goaway-too-many-pings-on-an-accepted-stream",
    ),
    pytest.param(
        UNAVAILABLE,
        "Stream removed (RST_STREAM (Received RST_STREAM with error code 7))",
        id="refused-stream",
    ),
    pytest.param(UNAVAILABLE, "scripted UNAVAILABLE #1", id="a-server-answer"),
    pytest.param(UNAVAILABLE, "", id="no-details"),
    pytest.param(
        UNAVAILABLE,
        "the user service answered 'failed to connect to all addresses; last error: ...'",
        id="a-relay-quoting-its-downstream",
    ),
    pytest.param(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded", id="deadline"),
    pytest.param(grpc.StatusCode.INTERNAL, "Exception deserializing response!", id="bad-reply"),
    pytest.param(
        UNAVAILABLE,
        "circuit open for 127.0.0.1:1: not called; next probe in 9.5 s",
        id="client-refusal-is-told-by-attempts-not-text",
    ),
]


@pytest.mark.parametrize(("code", "details"), NEVER_SENT)
def test_grpcs_own_failures_before_any_stream_prove_the_request_never_left(
    code: grpc.StatusCode, details: str
) -> None:
    assert SendEvidence.proves_never_sent(code, details) is True


@pytest.mark.parametrize(("code", "details"), NOT_PROVEN)
def test_failures_after_a_stream_existed_and_unknown_texts_prove_nothing(
    code: grpc.StatusCode, details: str
) -> None:
    assert SendEvidence.proves_never_sent(code, details) is False


@pytest.mark.parametrize(("code", "details"), NEVER_SENT)
def test_metadata_came_from_a_server_so_it_rules_the_proof_out(
    code: grpc.StatusCode, details: str
) -> None:
    assert SendEvidence.proves_never_sent(code, details, metadata_received=True) is False


@pytest.mark.parametrize(
    "code",
    [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED],
)
def test_a_known_text_under_another_code_is_not_grpcs_own_failure(code: grpc.StatusCode) -> None:
    details = "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1"

    assert SendEvidence.proves_never_sent(code, details) is False


def test_the_text_must_open_the_details_not_merely_appear_in_them() -> None:
    quoted = "upstream: failed to connect to all addresses; last error: ..."

    assert SendEvidence.proves_never_sent(UNAVAILABLE, quoted) is False
