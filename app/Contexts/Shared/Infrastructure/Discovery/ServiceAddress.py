import ipaddress
import re
from dataclasses import dataclass

from app.Contexts.Shared.Infrastructure.Discovery.Errors.InvalidServiceAddress import (
    InvalidServiceAddress,
)
from app.Contexts.Shared.Infrastructure.Discovery.GrpcHostPort import (
    MAX_PORT,
    GrpcHostPort,
)

_DIGITS = re.compile(r"[0-9]{1,5}")


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
        number = int(value) if isinstance(value, str) and _DIGITS.fullmatch(value) else value
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
