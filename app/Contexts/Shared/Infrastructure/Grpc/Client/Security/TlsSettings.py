from dataclasses import dataclass, field

from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.DeclaredSettings import (
    DeclaredSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.EnvironmentValue import (
    EnvironmentValue as Value,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.SettingDeclaration import (
    SettingDeclaration as Setting,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidTlsSettings import (
    InvalidTlsSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.PemMaterial import (
    PemMaterial,
    PemSource,
)

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
