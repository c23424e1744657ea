import pytest

from grpc_request_client.metadata import REDACTED, SensitiveMetadata
from tests.Support.CredentialNames import ORDINARY, SENSITIVE


@pytest.mark.parametrize("name", SENSITIVE)
def test_a_name_that_carries_a_credential_is_sensitive(name: str) -> None:
    assert SensitiveMetadata.is_sensitive(name)


@pytest.mark.parametrize("name", ORDINARY)
def test_an_ordinary_name_stays_visible(name: str) -> None:
    assert not SensitiveMetadata.is_sensitive(name)


@pytest.mark.parametrize(
    "name",
    ["X_API_KEY", "Api.Key", "x.private_key", "x--secret", "APIKEY", "clientSecret", "x-key"],
)
def test_case_and_separators_do_not_matter(name: str) -> None:
    assert SensitiveMetadata.is_sensitive(name)


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("x-pass", True),
        ("x-passenger", False),
        ("x-otp", True),
        ("x-footprint", False),
        ("x-authority", False),
        ("x-authorization", True),
        ("x-idempotency-key", False),
        ("idempotencykey", False),
        ("x-monkey", True),
    ],
)
def test_names_close_to_a_credential_word_are_told_apart(name: str, sensitive: bool) -> None:
    assert SensitiveMetadata.is_sensitive(name) is sensitive


def test_redact_replaces_the_values_of_sensitive_keys_only() -> None:
    pairs = (("x-api-key", "k-1"), ("x-trace-id", "t-1"), ("x-token-bin", b"\x01"))

    assert SensitiveMetadata.redact(pairs) == (
        ("x-api-key", REDACTED),
        ("x-trace-id", "t-1"),
        ("x-token-bin", REDACTED),
    )


@pytest.mark.parametrize(
    "name",
    [
        "phpsessid",  # sentry's DEFAULT_DENYLIST, which SensitiveMetadata cites
        "x-connection-string",  # OWASP's "connection strings", cited too
        "x-database-url",
        "x-2fa-code",
        "x-access-code",
        "x-recovery-code",
        "x-verification-code",
        "sessid",
        "x-jdbc-url",
        "x-redis-url",
        "x-sas",
        "x-presigned-url",
        "x-signed-url",
    ],
)
def test_more_credential_names_are_redacted(name: str) -> None:
    assert SensitiveMetadata.is_sensitive(name)


@pytest.mark.parametrize("name", ["x-status-code", "x-country-code", "x-request-url", "x-string"])
def test_the_nouns_stay_visible_without_a_credential_before_them(name: str) -> None:
    assert not SensitiveMetadata.is_sensitive(name)
