from urllib.parse import unquote


class PeerAddress:
    """The caller's IP, from grpc's name for the peer of a call.

    grpc names peers ``ipv4:10.0.0.7:5555`` and ``ipv6:%5B::1%5D:5555`` (the
    brackets percent-encoded); a Unix socket or an in-process transport has no
    IP, so it gives ``None`` rather than a path posing as an address.
    """

    @staticmethod
    def client_ip(peer: str) -> str | None:
        kind, _, address = peer.partition(":")
        if kind not in ("ipv4", "ipv6"):
            return None
        host = unquote(address).rpartition(":")[0].removeprefix("[").removesuffix("]")
        return host or None
