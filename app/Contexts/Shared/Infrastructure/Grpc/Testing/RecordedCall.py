from dataclasses import dataclass
from typing import Any

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RedactedMessageText import RedactedMessageText


@dataclass(frozen=True, slots=True, repr=False)
class RecordedCall:
    """One attempt a ``FakeGrpcClient`` answered: what a server would have received.

    ``message`` is a copy made through the wire format, so a test sees what was
    sent even if the code changes its message afterwards; ``metadata`` is what
    would have gone on the wire, ``x-trace-id`` included; ``timeout`` is this
    attempt's deadline in seconds. A retried call is recorded once per attempt
    (``attempt`` counts from 1), as a server would see it. ``message`` is typed
    ``Any`` for the reason ``GrpcResponse.message()`` is: ``call.message.user_id``
    should read naturally in a test. The repr fits on a line, for assertion
    messages, and leaves out the request object, whose own repr may not hide
    what its metadata does. Credentials are hidden by ``SensitiveMetadata``'s rule,
    in the metadata and in the message's fields alike (``RedactedMessageText``).
    """

    service: str
    method: str
    message: Any
    metadata: GrpcMetadata
    timeout: float
    trace_id: str
    attempt: int
    request: GrpcRequest

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"

    def __repr__(self) -> str:
        body = RedactedMessageText.of(self.message)
        return (
            f"<RecordedCall {self.path} attempt={self.attempt} "
            f"{type(self.message).__name__}({body}) metadata={self.metadata!r} "
            f"timeout={self.timeout:g}>"
        )
