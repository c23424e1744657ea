import traceback
from pathlib import Path
from typing import Any

import pytest

from grpc_request_client import InvalidGrpcClientSettings, InvalidTlsSettings, TlsSettings
from tests.Support.Certificates import Certificates

ENCRYPTED_KEY = (
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
)


def _body_lines(pem: bytes) -> list[str]:
    """The base64 lines of a PEM file: what must never show in a message or a repr."""
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


@pytest.fixture
def pem_files(tmp_path: Path, certificates: Certificates) -> dict[str, Path]:
    files = {
        "ca": certificates.ca.cert_pem.bytes(),
        "key": certificates.client.private_key_pem.bytes(),
        "chain": Certificates.chain(certificates.client),
        "not-pem": b"just some text\n",
        "corrupt": certificates.ca.cert_pem.bytes()[:120] + b"\n-----END CERTIFICATE-----\n",
        "encrypted": ENCRYPTED_KEY,
        "empty": b"",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return {name: tmp_path / name for name in files}


def test_pem_fields_take_bytes_or_a_path_and_hold_the_bytes(
    pem_files: dict[str, Path], certificates: Certificates
) -> None:
    key = certificates.client.private_key_pem.bytes()
    from_paths = TlsSettings(
        root_certificates=str(pem_files["ca"]),
        private_key=pem_files["key"],
        certificate_chain=pem_files["chain"],
    )
    from_bytes = TlsSettings(
        root_certificates=certificates.ca.cert_pem.bytes(),
        private_key=key,
        certificate_chain=Certificates.chain(certificates.client),
    )

    assert from_paths == from_bytes
    assert hash(from_paths) == hash(from_bytes)
    assert from_paths.private_key == key


def test_files_are_read_once_at_construction(pem_files: dict[str, Path]) -> None:
    settings = TlsSettings(root_certificates=pem_files["ca"])
    before = settings.root_certificates

    pem_files["ca"].write_bytes(b"rotated on disk\n")

    assert settings.root_certificates == before
    assert settings.root_certificates != pem_files["ca"].read_bytes()


def test_no_settings_at_all_means_grpcs_own_roots() -> None:
    settings = TlsSettings()

    assert (settings.root_certificates, settings.private_key, settings.certificate_chain) == (
        None,
        None,
        None,
    )
    assert settings.channel_options() == ()


def test_server_name_override_becomes_the_target_name_and_the_authority() -> None:
    settings = TlsSettings(server_name_override="users.internal")

    assert settings.channel_options() == (
        ("grpc.ssl_target_name_override", "users.internal"),
        ("grpc.default_authority", "users.internal"),
    )


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param(
            {"root_certificates": "missing.pem"},
            r"root_certificates: cannot read '.*missing\.pem': No such file or directory",
            id="missing-file",
        ),
        pytest.param(
            {"root_certificates": "."},
            r"root_certificates: cannot read '.*': Is a directory",
            id="directory",
        ),
        pytest.param(
            {"root_certificates": "not-pem"},
            r"root_certificates \('.*not-pem'\) is not PEM: it has no -----BEGIN CERTIFICATE",
            id="root-not-pem",
        ),
        pytest.param(
            {"root_certificates": "key"},
            r"root_certificates \('.*key'\) is not PEM",
            id="key-given-as-root",
        ),
        pytest.param(
            {"root_certificates": "corrupt"},
            r"root_certificates \('.*corrupt'\) holds a certificate that does not parse",
            id="corrupt-certificate",
        ),
        pytest.param(
            {"root_certificates": "empty"},
            r"root_certificates \('.*empty'\) is empty",
            id="empty-file",
        ),
        pytest.param(
            {"private_key": "chain", "certificate_chain": "chain"},
            r"private_key \('.*chain'\) is not PEM: it has no -----BEGIN \.\.\. PRIVATE KEY",
            id="certificate-given-as-key",
        ),
        pytest.param(
            {"private_key": "encrypted", "certificate_chain": "chain"},
            r"private_key \('.*encrypted'\) is encrypted",
            id="encrypted-key",
        ),
        pytest.param(
            {"private_key": "key"},
            "private_key needs certificate_chain",
            id="key-without-chain",
        ),
        pytest.param(
            {"certificate_chain": "chain"},
            "certificate_chain needs private_key",
            id="chain-without-key",
        ),
    ],
)
def test_unusable_files_fail_at_construction_naming_field_and_path(
    pem_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    arguments: dict[str, str],
    says: str,
) -> None:
    monkeypatch.chdir(pem_files["ca"].parent)

    with pytest.raises(InvalidTlsSettings, match=says):
        TlsSettings(**arguments)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param({"root_certificates": b""}, "root_certificates is empty", id="empty-bytes"),
        pytest.param(
            {"root_certificates": 42},
            "root_certificates must be PEM bytes or the path of a PEM file, got int",
            id="not-bytes-or-path",
        ),
        pytest.param(
            {"server_name_override": ""}, "server_name_override must be a host name", id="no-name"
        ),
        pytest.param(
            {"server_name_override": "users internal"},
            "server_name_override must be a host name",
            id="space-in-name",
        ),
        pytest.param(
            {"server_name_override": b"users.internal"},
            "server_name_override must be a host name",
            id="name-as-bytes",
        ),
    ],
)
def test_unusable_values_fail_at_construction(arguments: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidTlsSettings, match=says):
        TlsSettings(**arguments)


def test_key_text_given_as_str_is_refused_without_being_quoted(certificates: Certificates) -> None:
    key = certificates.client.private_key_pem.bytes()

    with pytest.raises(InvalidTlsSettings, match="private_key looks like PEM text") as raised:
        TlsSettings(
            private_key=key.decode(), certificate_chain=Certificates.chain(certificates.client)
        )

    assert [line for line in _body_lines(key) if line in str(raised.value)] == []


def test_tls_errors_are_client_settings_errors() -> None:
    with pytest.raises(InvalidGrpcClientSettings):
        TlsSettings(private_key=b"")


def test_repr_counts_certificates_and_never_shows_key_or_certificate_bytes(
    certificates: Certificates,
) -> None:
    settings = TlsSettings(
        root_certificates=certificates.ca.cert_pem.bytes(),
        private_key=certificates.client.private_key_pem.bytes(),
        certificate_chain=Certificates.chain(certificates.client),
        server_name_override="users.internal",
    )
    secrets = _body_lines(settings.private_key or b"") + _body_lines(
        settings.root_certificates or b""
    )

    assert repr(settings) == (
        "TlsSettings(root_certificates=<1 certificate>, private_key=<redacted>, "
        "certificate_chain=<1 certificate>, server_name_override='users.internal')"
    )
    assert [line for line in secrets if line in repr(settings)] == []


def test_settings_are_frozen(certificates: Certificates) -> None:
    settings = certificates.client_tls()

    with pytest.raises(AttributeError):
        settings.root_certificates = None  # type: ignore[misc]


def test_a_key_given_as_text_without_its_pem_lines_is_not_quoted_as_a_path(
    certificates: Certificates,
) -> None:
    """A str is a path; a base64 key that lost its ``-----BEGIN`` line reads as one."""
    blob = "".join(_body_lines(certificates.client.private_key_pem.bytes()))

    with pytest.raises(InvalidTlsSettings, match="private_key: cannot read the path") as raised:
        TlsSettings(private_key=blob, certificate_chain=Certificates.chain(certificates.client))

    assert blob not in "".join(traceback.format_exception(raised.value))
