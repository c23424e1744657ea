import os
import re
import ssl
from pathlib import Path

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidTlsSettings import (
    InvalidTlsSettings,
)

PemSource = bytes | str | os.PathLike[str]
_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_ENCRYPTED = re.compile(rb"-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED")


class PemMaterial:
    """Reads one TLS field, given as PEM bytes or as a file path, and checks it is what it claims.

    grpc takes whatever bytes it is handed and finds out they are wrong only at
    the first handshake, answering every call UNAVAILABLE from then on; checking
    here makes the same mistake fail where the client is built. Every message
    names the field but never quotes the content: one field is a private key.
    A path is quoted too, except a private key's that cannot be read: a str is
    taken for a path, so a key given as text without its ``-----BEGIN`` line (a
    base64 blob from a secret store) would be quoted whole.
    """

    @staticmethod
    def certificates(field: str, source: object) -> bytes | None:
        loaded = PemMaterial._load(field, source)
        if loaded is None:
            return None
        pem, origin = loaded
        if _CERTIFICATE not in pem:
            raise InvalidTlsSettings(
                f"{origin} is not PEM: it has no {_CERTIFICATE.decode()} block"
            )
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(
                cadata=pem.decode("ascii")
            )
        except (ssl.SSLError, UnicodeDecodeError) as error:
            raise InvalidTlsSettings(f"{origin} holds a certificate that does not parse") from error
        return pem

    @staticmethod
    def private_key(field: str, source: object) -> bytes | None:
        loaded = PemMaterial._load(field, source, secret=True)
        if loaded is None:
            return None
        pem, origin = loaded
        if _PRIVATE_KEY.search(pem) is None:
            raise InvalidTlsSettings(
                f"{origin} is not PEM: it has no -----BEGIN ... PRIVATE KEY----- block"
            )
        if _ENCRYPTED.search(pem) is not None:
            raise InvalidTlsSettings(f"{origin} is encrypted; grpc takes only an unencrypted key")
        return pem

    @staticmethod
    def describe(pem: bytes | None) -> str:
        """What a repr may say about certificates: how many, never their bytes."""
        if pem is None:
            return "None"
        count = pem.count(_CERTIFICATE)
        return f"<{count} certificate{'' if count == 1 else 's'}>"

    @staticmethod
    def _unreadable(field: str, path: str, error: OSError, *, secret: bool) -> InvalidTlsSettings:
        reason = error.strerror or type(error).__name__
        if secret:
            return InvalidTlsSettings(
                f"{field}: cannot read the path given: {reason} (a str is a path; this one "
                "is not quoted in case it is the key itself: pass a key's PEM as bytes)"
            )
        return InvalidTlsSettings(f"{field}: cannot read {path!r}: {reason}")

    @staticmethod
    def _load(field: str, source: object, *, secret: bool = False) -> tuple[bytes, str] | None:
        if source is None:
            return None
        if isinstance(source, bytes):
            pem, origin = source, field
        elif isinstance(source, str) and "-----BEGIN" in source:
            raise InvalidTlsSettings(
                f"{field} looks like PEM text: pass it as bytes (text.encode()) or as a file path"
            )
        elif isinstance(source, str | os.PathLike):
            path = os.fsdecode(source)
            try:
                pem = Path(path).read_bytes()
            except OSError as error:
                # OSError's own text quotes the path, so a secret's cause is left out.
                failure = PemMaterial._unreadable(field, path, error, secret=secret)
                raise failure from (None if secret else error)
            origin = f"{field} ({path!r})"
        else:
            raise InvalidTlsSettings(
                f"{field} must be PEM bytes or the path of a PEM file, got {type(source).__name__}"
            )
        if not pem.strip():
            raise InvalidTlsSettings(f"{origin} is empty")
        return pem, origin
