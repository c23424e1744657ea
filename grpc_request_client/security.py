"""Channel security: TLS material and bearer tokens."""

import os
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from grpc_request_client.declaration import DeclaredSettings
from grpc_request_client.declaration import EnvironmentValue as Value
from grpc_request_client.declaration import SettingDeclaration as Setting
from grpc_request_client.errors import InvalidBearerToken, InvalidTlsSettings

TokenProvider = Callable[[], str]
BearerTokenInput = str | TokenProvider
_USABLE = re.compile(r"[\x21-\x7e]+")
_PREFIX = re.compile(r"bearer\s", re.IGNORECASE)


@dataclass(frozen=True, slots=True, repr=False)
class BearerToken:
    """The token sent as ``authorization: Bearer <token>``: fixed, or asked for on every call.

    A provider lets a token rotate without rebuilding the client and its
    connection. It is called once per call, on grpc's own threads and maybe on
    several at once, so it should hand back a token it already holds rather
    than fetch one. A fixed token is checked here, a provider's answer on each
    call; neither is ever shown in a repr or an error message. Equal tokens
    make equal settings; providers are equal only to themselves.
    """

    source: BearerTokenInput

    def __post_init__(self) -> None:
        if isinstance(self.source, str):
            self._check(self.source, "bearer_token")
        elif not callable(self.source):
            raise InvalidBearerToken(
                "bearer_token must be a str or a zero-argument callable returning one, "
                f"got {type(self.source).__name__}"
            )

    def current(self) -> str:
        if isinstance(self.source, str):
            return self.source
        token = self.source()
        self._check(token, "the bearer token provider's answer")
        return token

    @staticmethod
    def _check(token: object, what: str) -> None:
        if not isinstance(token, str):
            raise InvalidBearerToken(f"{what} must be a str, got {type(token).__name__}")
        if _PREFIX.match(token):
            raise InvalidBearerToken(f"{what} starts with 'Bearer ': give the token alone")
        if not _USABLE.fullmatch(token):
            raise InvalidBearerToken(f"{what} must be non-empty printable ASCII without spaces")

    def __repr__(self) -> str:
        kind = "fixed" if isinstance(self.source, str) else "provider"
        return f"<BearerToken {kind} [redacted]>"


class BearerTokenPlugin(grpc.AuthMetadataPlugin):
    """grpc call credentials that ask the ``BearerToken`` for its value on every call.

    grpc's ``access_token_call_credentials`` is the same plugin holding a fixed
    string; this one also serves providers. When a provider fails, the call
    fails instead: grpc answers it UNAVAILABLE with this plugin's error as the
    details, so the caller gets a response as for any transport failure. Those
    details name the exception's type only, since its text may hold a secret,
    and catching everything here also keeps grpc from logging a traceback.
    """

    def __init__(self, token: BearerToken) -> None:
        self._token = token

    def __call__(
        self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback
    ) -> None:
        try:
            token = self._token.current()
        except InvalidBearerToken as error:
            callback((), error)
        except Exception as error:  # whatever a provider raises fails this call only
            failure = f"the bearer token provider raised {type(error).__name__}"
            callback((), InvalidBearerToken(failure))
        else:
            callback((("authorization", f"Bearer {token}"),), None)

    def __repr__(self) -> str:
        return f"<BearerTokenPlugin {self._token!r}>"


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


_NAME_OVERRIDE = "grpc.ssl_target_name_override"
_AUTHORITY = "grpc.default_authority"


def _certificates(value: object, name: str) -> bytes | None:
    return PemMaterial.certificates(name, value)


def _private_key(value: object, name: str) -> bytes | None:
    return PemMaterial.private_key(name, value)


def _host_name(value: object, name: str) -> str | None:
    if value is None or (isinstance(value, str) and value and not any(c.isspace() for c in value)):
        return value
    raise InvalidTlsSettings(f"{name} must be a host name such as 'users.internal', got {value!r}")


@dataclass(frozen=True, slots=True, init=False, repr=False)
class TlsSettings:
    """How the client checks the server it talks to and, with a key pair, proves who it is.

    Each PEM field takes bytes or a file path, read once here: the settings are
    a value (equal, hashable) that does not change under a running client when
    a file is rotated on disk; a rotated certificate takes a new client. Without
    ``root_certificates`` grpc trusts its bundled public roots. The repr counts
    certificates and never shows the key.
    """

    root_certificates: bytes | None = field(
        metadata=Setting.meta(_certificates, env="ROOT_CERTIFICATES", read=Value.pem)
    )
    private_key: bytes | None = field(
        metadata=Setting.meta(_private_key, env="PRIVATE_KEY", read=Value.pem)
    )
    certificate_chain: bytes | None = field(
        metadata=Setting.meta(_certificates, env="CERTIFICATE_CHAIN", read=Value.pem)
    )
    server_name_override: str | None = field(
        metadata=Setting.meta(_host_name, env="SERVER_NAME_OVERRIDE", read=Value.text)
    )

    def __init__(
        self,
        *,
        root_certificates: PemSource | None = None,
        private_key: PemSource | None = None,
        certificate_chain: PemSource | None = None,
        server_name_override: str | None = None,
    ) -> None:
        """Typed by hand: each PEM field takes more (a path) than it keeps (the bytes)."""
        if (private_key is None) != (certificate_chain is None):
            given, missing = (
                ("private_key", "certificate_chain")
                if certificate_chain is None
                else ("certificate_chain", "private_key")
            )
            raise InvalidTlsSettings(
                f"{given} needs {missing}: a client certificate is the two together"
            )
        object.__setattr__(self, "root_certificates", root_certificates)
        object.__setattr__(self, "private_key", private_key)
        object.__setattr__(self, "certificate_chain", certificate_chain)
        object.__setattr__(self, "server_name_override", server_name_override)
        DeclaredSettings.normalize(self)

    def channel_options(self) -> tuple[tuple[str, str], ...]:
        """The name the certificate is checked against, and the name the calls carry.

        The second is the HTTP/2 ``:authority`` (what a proxy routes by, and the
        ``service_url`` call credentials see). grpc versions differ on whether
        either option implies the other, so both are set.
        """
        name = self.server_name_override
        return () if name is None else ((_NAME_OVERRIDE, name), (_AUTHORITY, name))

    def __repr__(self) -> str:
        key = "None" if self.private_key is None else "<redacted>"
        return (
            f"TlsSettings(root_certificates={PemMaterial.describe(self.root_certificates)}, "
            f"private_key={key}, "
            f"certificate_chain={PemMaterial.describe(self.certificate_chain)}, "
            f"server_name_override={self.server_name_override!r})"
        )
