from dataclasses import dataclass


@dataclass
class StorageCallRecord:
    """One call a storage test servicer served: what it was sent and how it ended there.

    ``method`` is the rpc's name (``"DownloadObject"``...); ``metadata`` the
    call's invocation metadata as a dict (a ``-bin`` value decoded as UTF-8);
    ``received`` counts request messages taken (1 for a unary request),
    ``sent`` replies handed to grpc to send. ``ended`` is ``"ok"``,
    ``"aborted"`` (the servicer failed it: ``fail-after``, or metadata it
    could not read) or ``"cancelled"`` (the client cancelled it, its deadline
    passed, or the server stopped), as the server saw it; ``None`` while the
    call runs. The servicer updates a record as the call goes; read it once
    ``ended`` is set (``wait_for_ended``) for counts that no longer change.
    """

    method: str
    metadata: dict[str, str]
    received: int = 0
    sent: int = 0
    ended: str | None = None
