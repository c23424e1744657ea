from __future__ import annotations

import re

from opentelemetry.util.types import AttributeValue

Attributes = dict[str, AttributeValue]
# Resolver schemes whose rest is host[:port] after "scheme:[//authority/]" (gRPC's naming.md).
_HOST_PORT_SCHEMES = ("dns:", "ipv4:", "ipv6:")
_AUTHORITY = re.compile(r"//[^/]*/")
_BRACKETED = re.compile(r"\[([^\]]+)\](?::(\d+))?")
_HOST_AND_PORT = re.compile(r"([^:\[\]]+)(?::(\d+))?")


class RpcServerAddress:
    """``server.address`` and ``server.port`` of a client's target, as the RPC conventions ask.

    Parsed from the target the client was given (OpenTelemetry RPC semantic
    conventions, ``server.address``): ``dns:///host:50051`` and ``host:50051``
    give ``host`` and ``50051``; an IPv6 literal loses its brackets
    (``[::1]:50051`` gives ``::1``); an ``ipv4:``/``ipv6:`` list gives its first
    address; ``unix:///path`` (and ``unix:path``, ``unix-abstract:name``) give the
    path and no port; a target without a port gives no port; anything else
    (another resolver's scheme) is kept whole as the address, with no port.
    """

    @staticmethod
    def of(target: str) -> Attributes:
        """``server.address`` of ``target``, and ``server.port`` when it has one."""
        if target.startswith(("unix:", "unix-abstract:")):
            path = target.split(":", 1)[1]
            return {"server.address": path[2:] if path.startswith("//") else path}
        rest = target
        for scheme in _HOST_PORT_SCHEMES:
            if target.startswith(scheme):
                rest = _AUTHORITY.sub("", target[len(scheme) :], count=1).split(",", 1)[0]
                break
        found = _BRACKETED.fullmatch(rest) or _HOST_AND_PORT.fullmatch(rest)
        if found is None:
            return {"server.address": target}
        host, port = found.groups()
        if port is None:
            return {"server.address": host}
        return {"server.address": host, "server.port": int(port)}
