import pytest

from grpc_request_client.context import UserId


@pytest.mark.parametrize(
    "candidate",
    [
        "7",
        "42",
        "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
        "ada.lovelace",
        "ada@example.com",
        "auth0:5f3c8e2a",
        "svc_orders-api",
        "u" * 128,
    ],
)
def test_ids_emails_and_issuer_subject_pairs_are_accepted(candidate: str) -> None:
    assert UserId.is_valid(candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        42,
        b"42",
        "",
        "u" * 129,
        "ada lovelace",
        "ada+news@example.com",
        "José",
        "42\r\nx-admin: true",
        "42\tx",
        "<script>",
        "a/b",
    ],
)
def test_anything_else_is_refused(candidate: object) -> None:
    assert not UserId.is_valid(candidate)
