"""Where services live: target grammar, and registries that turn a service name into addresses."""

import ipaddress
import os
import re
import string
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from grpc_request_client.errors import (
    InvalidServiceAddress,
    InvalidServiceRegistry,
    ServiceNotFound,
)

MAX_PORT = 65535
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_NUMERIC_NAME = re.compile(r"[0-9.]+")
_PORT_DIGITS = re.compile(r"[0-9]+")
_EMPTY_PORT = (
    "ends in ':' with no port after it, which grpc reads as port 443; "
    "give the port ('users:50051'), or drop the ':' to mean 443"
)


class GrpcHostPort:
    """The ``host[:port]`` inside a grpc target, split as grpc-core splits it, then checked.

    grpc-core's ``SplitHostPort`` (``src/core/util/host_port.cc``) takes a
    bracketed host, or splits at the one ``:`` there is, or reads two or more
    as a bare IPv6 address with no port. A host is a DNS name (letters,
    digits, ``_`` and ``-`` in labels of 1-63, 253 at most) or an IPv4
    address; an IPv6 address must be in brackets, since ``::1:5005`` would be
    read as an address and no port. A port is 1 to 65535 in decimal: the
    resolver's ``getaddrinfo`` keeps only 16 bits of a larger one, and an
    empty one (``users:``) means 443. Each check answers what is wrong, as
    the end of a sentence about the target, or ``None``.
    """

    @classmethod
    def problem(cls, text: str, scheme: str = "", ip_version: int | None = None) -> str | None:
        """``scheme`` (``ipv4``, ``ipv6``) requires a port and an IP address of ``ip_version``."""
        if text.startswith("["):
            return cls._bracketed(text, scheme, ip_version)
        host, colon, port = text.partition(":")
        if ":" in port:
            if cls.is_ip(text, 6):
                return f"has IPv6 address {text!r} without brackets: write '[{text}]:port'"
            return "has more than one ':'; write host:port, with an IPv6 host in brackets"
        if not cls._is_host(host, ip_version):
            return cls._bad_host(host, ip_version)
        return cls._port(port, colon, scheme)

    @staticmethod
    def is_host_name(host: str) -> bool:
        """A DNS name or an IPv4 address: what stands before ``:port`` without brackets."""
        if _NUMERIC_NAME.fullmatch(host):
            return GrpcHostPort.is_ip(host, 4)
        return _HOST_NAME.fullmatch(host) is not None

    @staticmethod
    def is_ip(host: str, version: int) -> bool:
        try:
            return ipaddress.ip_address(host).version == version
        except ValueError:
            return False

    @classmethod
    def _bracketed(cls, text: str, scheme: str, ip_version: int | None) -> str | None:
        host, bracket, after = text[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            return "has '[' without a ']' that ends the host or comes before ':port'"
        if ip_version == 4 or not cls.is_ip(host, 6):
            return f"has {host!r} in brackets, where only an IPv6 address goes"
        return cls._port(after[1:], after[:1], scheme)

    @staticmethod
    def _port(port: str, colon: str, scheme: str) -> str | None:
        if not colon:
            if scheme:
                return f"has an address without a port; the {scheme}: scheme needs one for each"
            return None
        if not port:
            return _EMPTY_PORT
        if _PORT_DIGITS.fullmatch(port) and 1 <= int(port) <= MAX_PORT:
            return None
        return f"has port {port!r}; a port is a decimal number from 1 to {MAX_PORT}"

    @classmethod
    def _is_host(cls, host: str, ip_version: int | None) -> bool:
        """Any host for ``dns``, an IPv4 address for ``ipv4:``, none unbracketed for ``ipv6:``."""
        if ip_version is None:
            return cls.is_host_name(host)
        return ip_version == 4 and cls.is_ip(host, 4)

    @staticmethod
    def _bad_host(host: str, ip_version: int | None) -> str:
        if not host:
            return "has no host before the ':'"
        if ip_version == 6:
            return f"has {host!r} where an IPv6 address in brackets goes: '[address]:port'"
        if ip_version == 4:
            return f"has {host!r} where an IPv4 address goes"
        return f"has host {host!r}, which is neither a DNS name nor an IP address"


_SERVICE_PORT_DIGITS = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class ServiceAddress:
    """A host and a port that can make a grpc target, checked where they were read.

    A host or port that cannot work (empty, port 0 or 70000, a host with a port
    or a scheme already in it) would otherwise surface as an UNAVAILABLE
    response on the first call, far from the variable or entry that held it; so
    each check names its ``source``. A host name follows ``GrpcHostPort``'s rule, so
    ``str()`` is always a target a client accepts. IPv6 hosts are kept without
    brackets, which ``str()`` puts back to make the ``host:port`` grpc expects.
    """

    host: str
    port: int

    @classmethod
    def of(cls, host: object, port: int, source: str) -> "ServiceAddress":
        if not isinstance(host, str) or not host.strip():
            raise InvalidServiceAddress(f"{source} is empty")
        bracketed = host.startswith("[") and host.endswith("]")
        bare = host[1:-1] if bracketed else host
        if not (
            cls._is_ip(bare, 6)
            if bracketed
            else cls._is_ip(host) or GrpcHostPort.is_host_name(host)
        ):
            raise InvalidServiceAddress(
                f"{source} must be a host name or an IP address, without a port or scheme, "
                f"got {host!r}"
            )
        return cls(bare, port)

    @classmethod
    def parse(cls, text: object, default_port: int, source: str) -> "ServiceAddress":
        """Read ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``; a bare IPv6 has no port."""
        if not isinstance(text, str):
            raise InvalidServiceAddress(
                f"{source} must be a str 'host' or 'host:port', got {text!r}"
            )
        if "/" in text:
            raise InvalidServiceAddress(
                f"{source} must be 'host' or 'host:port', without a scheme, got {text!r}"
            )
        host, port = text, None
        if text.startswith("[") and "]:" in text:
            host, port = text.rsplit(":", 1)
        elif text.count(":") == 1:
            host, port = text.split(":")
        return cls.of(host, default_port if port is None else cls.parse_port(port, source), source)

    @staticmethod
    def parse_port(
        value: object, source: str, error: type[Exception] = InvalidServiceAddress
    ) -> int:
        """A port from an int or from decimal digits (an environment variable's value)."""
        number = (
            int(value)
            if isinstance(value, str) and _SERVICE_PORT_DIGITS.fullmatch(value)
            else value
        )
        if type(number) is int and 1 <= number <= MAX_PORT:
            return number
        raise error(f"{source} must be a port number from 1 to {MAX_PORT}, got {value!r}")

    @staticmethod
    def _is_ip(host: str, version: int | None = None) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return version in (None, address.version)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


_SERVICE_NAME = re.compile(r"[A-Za-z0-9]+(?:[-._][A-Za-z0-9]+)*")


class ServiceName:
    """The names registries build addresses from: letters and digits joined by ``-``, ``.``, ``_``.

    A name becomes part of an environment variable or of a DNS name, so anything
    else (a space, ``:``, ``/``, an empty string) could only find nothing, or
    something unintended: a ``:`` would slip a port into a DNS name.
    """

    @staticmethod
    def check(service_name: object, registry: str) -> str:
        if isinstance(service_name, str) and _SERVICE_NAME.fullmatch(service_name):
            return service_name
        raise ServiceNotFound(
            f"service {service_name!r} not found: {registry} builds addresses from names of "
            "letters and digits joined by '-', '.' or '_'"
        )


class ServiceRegistry(ABC):
    """Where services' addresses come from, so calling code names services, never hosts.

    The answer is a grpc target, handed as is to ``GrpcClient``: one
    ``host:port``, or a name grpc's own resolver expands into several addresses
    (``dns:///name:port``, ``ipv4:a:p,b:p``) for its balancer to spread calls
    over. Adapters decide where to look (the environment, a fixed table, DNS).
    """

    @abstractmethod
    def discover(self, service_name: str) -> str:
        """The grpc target of ``service_name``.

        Raises ``ServiceNotFound``, saying where it looked, when there is none;
        ``InvalidServiceAddress`` when what it found cannot be a target.
        """


_PLACEHOLDER = "service"


class DnsServiceRegistry(ServiceRegistry):
    """Gives a service's DNS name as ``dns:///host:port`` and leaves the lookup to grpc.

    grpc's resolver then finds every address record of the name (the replicas
    behind a Kubernetes headless service, say) and, with
    ``load_balancing="round_robin"``, spreads calls over all of them. It looks
    the name up again when a connection is lost (it does not poll), so a replica
    that goes away is dropped and new ones are found at that next lookup, all
    without asking this registry again. Host names come from
    ``hosts`` first (``"name"`` or ``"name:port"``), then from ``template``
    (``"{service}.backend.svc.cluster.local"``); both are checked at
    construction, the template with a sample name.
    """

    def __init__(
        self,
        hosts: Mapping[str, str] | None = None,
        *,
        template: str | None = None,
        default_port: int = 50051,
    ) -> None:
        if hosts is not None and not isinstance(hosts, Mapping):
            raise InvalidServiceRegistry(
                f"hosts must be a mapping of service names to 'host' or 'host:port', "
                f"got {type(hosts).__qualname__}"
            )
        if not hosts and template is None:
            raise InvalidServiceRegistry("a DNS registry needs hosts, a template, or both")
        self._port = ServiceAddress.parse_port(default_port, "default_port", InvalidServiceRegistry)
        self._hosts = {
            self._name(name): ServiceAddress.parse(host, self._port, f"hosts[{name!r}]")
            for name, host in (hosts or {}).items()
        }
        self._template = None if template is None else self._checked(template)

    def discover(self, service_name: str) -> str:
        address = self._hosts.get(service_name)
        if address is None:
            address = self._from_template(service_name)
        return f"dns:///{address}"

    def _from_template(self, service_name: str) -> ServiceAddress:
        if self._template is None:
            known = ", ".join(repr(name) for name in sorted(self._hosts))
            raise ServiceNotFound(
                f"service {service_name!r} not found in the DNS registry; its hosts name "
                f"{known}, and it has no template"
            )
        name = ServiceName.check(service_name, "the DNS registry's template")
        return ServiceAddress.parse(
            self._template.format(service=name),
            self._port,
            f"template {self._template!r} for {name!r}",
        )

    @staticmethod
    def _name(name: object) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidServiceRegistry(f"service names must be non-empty str, got {name!r}")
        return name

    def _checked(self, template: object) -> str:
        if not isinstance(template, str) or not self._has_only_the_placeholder(template):
            raise InvalidServiceRegistry(
                f"template must be a host name with {{{_PLACEHOLDER}}} in it, such as "
                f"'{{{_PLACEHOLDER}}}.backend.svc.cluster.local', got {template!r}"
            )
        try:
            ServiceAddress.parse(template.format(service="sample"), self._port, "template")
        except InvalidServiceAddress as error:
            raise InvalidServiceRegistry(
                f"template {template!r} cannot make a DNS name: {error}"
            ) from error
        return template

    @staticmethod
    def _has_only_the_placeholder(template: str) -> bool:
        try:
            fields = [
                (field, spec, conversion)
                for _, field, spec, conversion in string.Formatter().parse(template)
                if field is not None
            ]
        except ValueError:
            return False
        return bool(fields) and all(entry == (_PLACEHOLDER, "", None) for entry in fields)


class EnvironmentServiceRegistry(ServiceRegistry):
    """Finds ``backtest-service`` at ``BACKTEST_SERVICE_GRPC_HOST`` and ``..._GRPC_PORT``.

    That is the convention deployments already set (Kubernetes, compose files,
    ``.env``). The mapping is read at each ``discover``, never at import or
    construction, so a registry built early sees what the process has when it
    asks, and tests hand it a dict instead of patching ``os.environ``. A
    missing port falls back to ``default_port`` (``None``: the port is
    required); a missing host is never guessed, since a silent ``localhost`` in
    production reaches nothing or the wrong thing.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, default_port: int | None = 50051
    ) -> None:
        if environ is not None and not isinstance(environ, Mapping):
            raise InvalidServiceRegistry(
                f"environ must be a mapping of variable names to values, "
                f"got {type(environ).__qualname__}"
            )
        self._environ = os.environ if environ is None else environ
        self._default_port = (
            None
            if default_port is None
            else ServiceAddress.parse_port(default_port, "default_port", InvalidServiceRegistry)
        )

    @staticmethod
    def variables(service_name: str) -> tuple[str, str]:
        """The host and port variables: the name upper-cased, with ``_`` for ``-`` and ``.``."""
        name = ServiceName.check(service_name, "the environment registry")
        prefix = name.replace("-", "_").replace(".", "_").upper()
        return f"{prefix}_GRPC_HOST", f"{prefix}_GRPC_PORT"

    def discover(self, service_name: str) -> str:
        host_variable, port_variable = self.variables(service_name)
        host = self._environ.get(host_variable)
        port = self._environ.get(port_variable)
        if host is None:
            raise ServiceNotFound(
                f"service {service_name!r} not found: the environment has no {host_variable} "
                f"(read together with {port_variable}, {self._port_rule()})"
            )
        if port is not None:
            number = ServiceAddress.parse_port(port, port_variable)
        elif self._default_port is not None:
            number = self._default_port
        else:
            raise ServiceNotFound(
                f"service {service_name!r} not found: the environment has {host_variable} "
                f"but no {port_variable}, and this registry has no default port"
            )
        return str(ServiceAddress.of(host, number, host_variable))

    def _port_rule(self) -> str:
        if self._default_port is None:
            return "which is required"
        return f"which defaults to {self._default_port}"


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


class StaticServiceRegistry(ServiceRegistry):
    """A fixed table of service names to grpc targets, checked when it is built.

    For configuration files, tests and local development: whatever produced the
    table (a settings file, a fixture) is done by the time a call needs an
    address, so a bad entry fails at startup rather than on that call. Targets
    are any grpc target (``host:port``, ``dns:///name:port``, ``ipv4:a:p,b:p``,
    ``unix:/path``), kept as given and checked by ``GrpcTarget``'s rule, the one
    clients apply (``InvalidServiceAddress`` names the entry); the table is
    copied, so later changes to the mapping passed in do not leak into it.
    """

    def __init__(self, targets: Mapping[str, str]) -> None:
        if not isinstance(targets, Mapping):
            raise InvalidServiceRegistry(
                f"targets must be a mapping of service names to grpc targets, "
                f"got {type(targets).__qualname__}"
            )
        for name, target in targets.items():
            if not isinstance(name, str) or not name.strip():
                raise InvalidServiceRegistry(f"service names must be non-empty str, got {name!r}")
            GrpcTarget.parse(target, f"targets[{name!r}]", InvalidServiceAddress)
        self._targets = dict(targets)

    def discover(self, service_name: str) -> str:
        target = self._targets.get(service_name)
        if target is None:
            known = ", ".join(repr(name) for name in sorted(self._targets)) or "none"
            raise ServiceNotFound(
                f"service {service_name!r} not found in the static registry; it knows {known}"
            )
        return target
