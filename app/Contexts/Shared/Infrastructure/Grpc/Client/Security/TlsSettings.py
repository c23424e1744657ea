from dataclasses import dataclass

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidTlsSettings import (
    InvalidTlsSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.PemMaterial import (
    PemMaterial,
    PemSource,
)

_NAME_OVERRIDE = "grpc.ssl_target_name_override"
_AUTHORITY = "grpc.default_authority"


@dataclass(frozen=True, slots=True, init=False, repr=False)
class TlsSettings:
    """How the client checks the server it talks to and, with a key pair, proves who it is.

    Each PEM field takes bytes or a file path, read once here: the settings are
    a value (equal, hashable) that does not change under a running client when
    a file is rotated on disk; a rotated certificate takes a new client. Without
    ``root_certificates`` grpc trusts its bundled public roots. The repr counts
    certificates and never shows the key.
    """

    root_certificates: bytes | None
    private_key: bytes | None
    certificate_chain: bytes | None
    server_name_override: str | None

    def __init__(
        self,
        *,
        root_certificates: PemSource | None = None,
        private_key: PemSource | None = None,
        certificate_chain: PemSource | None = None,
        server_name_override: str | None = None,
    ) -> None:
        if (private_key is None) != (certificate_chain is None):
            given, missing = (
                ("private_key", "certificate_chain")
                if certificate_chain is None
                else ("certificate_chain", "private_key")
            )
            raise InvalidTlsSettings(
                f"{given} needs {missing}: a client certificate is the two together"
            )
        if server_name_override is not None and (
            not isinstance(server_name_override, str)
            or not server_name_override
            or any(c.isspace() for c in server_name_override)
        ):
            raise InvalidTlsSettings(
                "server_name_override must be a host name such as 'users.internal', "
                f"got {server_name_override!r}"
            )
        roots = PemMaterial.certificates("root_certificates", root_certificates)
        key = PemMaterial.private_key("private_key", private_key)
        chain = PemMaterial.certificates("certificate_chain", certificate_chain)
        object.__setattr__(self, "root_certificates", roots)
        object.__setattr__(self, "private_key", key)
        object.__setattr__(self, "certificate_chain", chain)
        object.__setattr__(self, "server_name_override", server_name_override)

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
