from typing import ClassVar


class CallStep:
    """What a driver does next for a call, and for how many seconds at most.

    ``CallEngine`` decides, the drivers (``GrpcClient.call`` and
    ``call_async``) only carry out: ``SLOT`` waits for a bulkhead slot
    (answering whether one was taken), ``SEND`` makes one attempt with this
    timeout (answering its ``GrpcResponse``), ``SLEEP`` waits out a backoff.
    """

    SLOT: ClassVar[str] = "slot"
    SEND: ClassVar[str] = "send"
    SLEEP: ClassVar[str] = "sleep"

    __slots__ = ("kind", "seconds")

    def __init__(self, kind: str, seconds: float) -> None:
        self.kind = kind
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"<CallStep {self.kind} {self.seconds:.3f} s>"
