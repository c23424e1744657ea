import re
from collections.abc import Callable

from app.Contexts.Shared.Infrastructure.Discovery.GrpcHostPort import GrpcHostPort

# sockaddr_un.sun_path holds 108 bytes on Linux; grpc-core keeps one for the NUL that ends a
# path or starts an abstract name (UnixSockaddrPopulate in src/core/lib/address_utils/
# parse_address.cc).
MAX_UNIX_PATH_BYTES = 107
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_VSOCK = re.compile(r"([0-9]{1,10}):([0-9]{1,10})")


# The userinfo of a URL-like target (scheme://user:password@host), as RFC 3986 3.2.1 has it.
_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)[^/@]*@")


class GrpcTarget:
    """What grpc-core will read a target as, checked before a channel is made of it.

    grpc accepts almost any string and misreads the odd ones silently: port
    99999 wraps to 34463 in the resolver's ``getaddrinfo`` and reaches whatever
    listens there, ``host:`` goes to port 443, and ``http://host:port`` is
    resolved as a host named ``http``. So a target must take one of the forms
    of grpc's naming rules (``doc/naming.md``) as grpc-core parses them
    (``resolver_registry.cc``, ``uri.cc``, ``host_port.cc``,
    ``parse_address.cc``, ``sockaddr_resolver.cc``, ``xds_resolver.cc``):

    - ``host:port``, ``[ipv6]:port``, or ``host`` / ``[ipv6]`` alone for
      grpc's default port 443 (``GrpcHostPort``);
    - ``dns:host:port``, ``dns:///host:port``, ``dns://dns-server/host:port``;
    - ``ipv4:a:port,b:port`` and ``ipv6:[a]:port,[b]:port``, each entry with
      its port, which grpc-core requires there;
    - ``unix:path``, ``unix:///absolute/path``, ``unix-abstract:name`` (at
      most 107 bytes, with no ``%``, which grpc percent-decodes);
    - ``vsock:cid:port``, ``xds:///name`` or ``xds://authority/name``,
      ``google-c2p:///name``.

    Schemes are matched in any case, as grpc does. Whitespace, control
    characters, ``?`` and ``#`` (a URI query or fragment to grpc) are refused
    in every form, and a URL (``http://``, ``https://``, ``grpc://``) with a
    hint to write ``host:port``.
    """

    @classmethod
    def parse(
        cls,
        value: object,
        source: str,
        error: type[Exception],
    ) -> str:
        """``value`` unchanged; else raises ``error`` naming ``source`` and what is wrong.

        The caller names its own error (``InvalidGrpcClientSettings`` for a
        client's target, ``InvalidServiceAddress`` for a registry's entry), so
        this grammar belongs to neither.
        """
        problem = cls._problem(value)
        if problem is None and isinstance(value, str):
            return value
        raise error(f"{source} {_without_userinfo(value)!r} {problem}")

    @classmethod
    def _problem(cls, value: object) -> str | None:
        if not isinstance(value, str) or not value:
            return "is not a grpc target such as 'users:50051'"
        if not value.isprintable() or any(c.isspace() for c in value):
            return "has a space or a control character in it"
        if "?" in value or "#" in value:
            return "has '?' or '#', which grpc reads as the start of a URI query or fragment"
        scheme = _SCHEME.match(value)
        if scheme is None:
            return GrpcHostPort.problem(value)
        return cls._scheme_problem(scheme[1], value[scheme.end() :], value)

    @classmethod
    def _scheme_problem(cls, scheme: str, rest: str, value: str) -> str | None:
        """A registered scheme's own rule; otherwise grpc-core reads it as ``dns:///value``."""
        read = cls._schemes().get(scheme.lower())
        if read is not None:
            return read(rest)
        if rest.startswith("//"):
            return cls._url(scheme, rest)
        return GrpcHostPort.problem(value)

    @classmethod
    def _schemes(cls) -> dict[str, Callable[[str], str | None]]:
        """The schemes grpcio's core registers a resolver for, and the rule for what follows."""
        return {
            "dns": cls._dns,
            "ipv4": lambda rest: cls._ip_list(rest, "ipv4", 4),
            "ipv6": lambda rest: cls._ip_list(rest, "ipv6", 6),
            "unix": cls._unix,
            "unix-abstract": cls._unix_abstract,
            "vsock": cls._vsock,
            "xds": lambda rest: cls._named(rest, "xds", authority_allowed=True),
            "google-c2p": lambda rest: cls._named(rest, "google-c2p", authority_allowed=False),
        }

    @classmethod
    def _dns(cls, rest: str) -> str | None:
        path = rest
        if rest.startswith("//"):
            authority, slash, name = rest[2:].partition("/")
            if authority and GrpcHostPort.problem(authority) is not None:
                return f"names DNS server {authority!r}, which is not host or host:port"
            path = slash + name
        path = path.removeprefix("/")
        if not path:
            return "names no host after dns:"
        return GrpcHostPort.problem(path)

    @classmethod
    def _ip_list(cls, rest: str, scheme: str, version: int) -> str | None:
        path = cls._without_authority(rest)
        if path is None:
            return f"has an authority after {scheme}://, which grpc refuses for {scheme}:"
        addresses = path.removeprefix("/")
        if not addresses:
            return f"lists no address after {scheme}:"
        for address in addresses.split(","):
            if not address:
                return "has an empty address in its list (',' twice, or at an end)"
            problem = GrpcHostPort.problem(address, scheme, version)
            if problem is not None:
                return problem
        return None

    @classmethod
    def _unix(cls, rest: str) -> str | None:
        path = cls._without_authority(rest)
        if path is None:
            return (
                "has an authority after unix://, which grpc refuses; "
                "write unix:///absolute/path or unix:relative/path"
            )
        return cls._socket_path(path, "socket path")

    @classmethod
    def _unix_abstract(cls, rest: str) -> str | None:
        if rest.startswith("//"):
            return (
                "has '//' after unix-abstract:, which grpc reads as an authority or as part "
                "of the name; write unix-abstract:name"
            )
        return cls._socket_path(rest, "abstract socket name")

    @staticmethod
    def _socket_path(path: str, what: str) -> str | None:
        if not path:
            return f"has no {what}"
        if "%" in path:
            return f"has '%' in its {what}, which grpc percent-decodes"
        size = len(path.encode())
        if size > MAX_UNIX_PATH_BYTES:
            return (
                f"has a {what} of {size} bytes; at most {MAX_UNIX_PATH_BYTES} fit in a unix "
                "socket address"
            )
        return None

    @staticmethod
    def _vsock(rest: str) -> str | None:
        numbers = _VSOCK.fullmatch(rest)
        if numbers is None or max(int(number) for number in numbers.groups()) >= 2**32:
            return "must be vsock:cid:port, two whole numbers below 2**32"
        return None

    @staticmethod
    def _named(rest: str, scheme: str, *, authority_allowed: bool) -> str | None:
        path = rest
        if rest.startswith("//"):
            authority, slash, name = rest[2:].partition("/")
            if authority and not authority_allowed:
                return f"has an authority after {scheme}://, which grpc refuses for {scheme}:"
            path = slash + name
        if not path.removeprefix("/") or path.endswith("/"):
            return f"names no service after {scheme}: (or ends in '/'); write {scheme}:///name"
        return None

    @staticmethod
    def _url(scheme: str, rest: str) -> str:
        address = rest[2:].rpartition("@")[2].rstrip("/") or "host:port"
        tls = ", with tls=TlsSettings(...) for TLS" if scheme.lower() == "https" else ""
        return f"is a URL, but grpc has no {scheme}:// scheme: use host:port ({address!r}){tls}"

    @staticmethod
    def _without_authority(rest: str) -> str | None:
        """What follows ``scheme:`` or an empty ``scheme://``; ``None`` after an authority."""
        if not rest.startswith("//"):
            return rest
        authority, slash, path = rest[2:].partition("/")
        return None if authority else slash + path


def _without_userinfo(value: object) -> object:
    """A URL's ``user:password@`` masked, so a credential pasted into a target is never shown."""
    if not isinstance(value, str):
        return value
    return _USERINFO.sub(r"\1[redacted]@", value)
