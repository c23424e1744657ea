import grpc
import trustme

from grpc_request_client import TlsSettings

RENAMED_HOST = "users.internal"


class Certificates:
    """A throwaway PKI made by trustme: a CA, a stranger CA, and certificates they signed.

    ``server`` is valid for 127.0.0.1, where the test servers listen;
    ``renamed_server`` only for ``RENAMED_HOST``, to exercise
    ``server_name_override``; ``client`` is what a client presents for mTLS.
    trustme's default keys are ECDSA, so making all of this takes milliseconds.
    """

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.stranger_ca = trustme.CA()
        self.server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.renamed_server = self.ca.issue_cert(RENAMED_HOST)
        self.client = self.ca.issue_cert("client.example")

    def server_credentials(
        self, cert: trustme.LeafCert | None = None, *, require_client_cert: bool = False
    ) -> grpc.ServerCredentials:
        leaf = cert or self.server
        return grpc.ssl_server_credentials(
            [(leaf.private_key_pem.bytes(), self.chain(leaf))],
            root_certificates=self.ca.cert_pem.bytes() if require_client_cert else None,
            require_client_auth=require_client_cert,
        )

    def client_tls(self, *, server_name_override: str | None = None) -> TlsSettings:
        return TlsSettings(
            root_certificates=self.ca.cert_pem.bytes(), server_name_override=server_name_override
        )

    def stranger_tls(self) -> TlsSettings:
        """Settings that trust only a CA which signed nothing the servers present."""
        return TlsSettings(root_certificates=self.stranger_ca.cert_pem.bytes())

    def mutual_tls(self) -> TlsSettings:
        return TlsSettings(
            root_certificates=self.ca.cert_pem.bytes(),
            private_key=self.client.private_key_pem.bytes(),
            certificate_chain=self.chain(self.client),
        )

    @staticmethod
    def chain(cert: trustme.LeafCert) -> bytes:
        return b"".join(blob.bytes() for blob in cert.cert_chain_pems)
