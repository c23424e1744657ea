import ipaddress
import re

MAX_PORT = 65535
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_NUMERIC_NAME = re.compile(r"[0-9.]+")
_DIGITS = re.compile(r"[0-9]+")
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
        if _DIGITS.fullmatch(port) and 1 <= int(port) <= MAX_PORT:
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
