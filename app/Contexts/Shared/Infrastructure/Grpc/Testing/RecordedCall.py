from dataclasses import dataclass
from typing import Any

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RedactedMessageText import RedactedMessageText

# A stream's repr shows this many of its messages, then how many more there were.
_SHOWN_MESSAGES = 3


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

    A method that takes a stream (client streaming, bidi) has ``message`` ``None``
    and ``messages``: a tuple of copies of what was sent, in order (empty for
    unary and server-streaming calls, whose one message is ``message``). A
    stream's record in ``FakeGrpcClient.calls`` is replaced by a newer one as the
    stream goes on, so it holds every message sent so far. ``cancelled`` is
    ``True`` once the caller ended the attempt before its end: it closed the
    stream or left its loop early, its task was cancelled, or a request item
    was refused (``InvalidGrpcMessage``), which cancels the call.
    """

    service: str
    method: str
    message: Any
    metadata: GrpcMetadata
    timeout: float
    trace_id: str
    attempt: int
    request: GrpcRequest
    messages: tuple[Any, ...] = ()
    cancelled: bool = False

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"

    def __repr__(self) -> str:
        cancelled = " cancelled" if self.cancelled else ""
        return (
            f"<RecordedCall {self.path} attempt={self.attempt} {self._sent()} "
            f"metadata={self.metadata!r} timeout={self.timeout:g}{cancelled}>"
        )

    def _sent(self) -> str:
        if self.message is not None:
            return RecordedCall._shown(self.message)
        shown = [RecordedCall._shown(message) for message in self.messages[:_SHOWN_MESSAGES]]
        more = len(self.messages) - _SHOWN_MESSAGES
        if more > 0:
            shown.append(f"+{more} more")
        return f"messages=[{', '.join(shown)}]"

    @staticmethod
    def _shown(message: Any) -> str:
        return f"{type(message).__name__}({RedactedMessageText.of(message)})"
