from typing import NamedTuple

import grpc
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import (
    GrpcMetadata,
    MetadataPairs,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.StreamingGrpcRequest import RequestMessages


class GrpcInvocation(NamedTuple):
    """A request after every check passed: exactly what will be sent, and how.

    Taking the request's values once, before the call, means a request object
    whose methods compute their answers is asked only once, and retries and logs
    see the values that went on the wire. ``payload`` is ``message`` serialized
    once, so every attempt sends the same bytes. A request that sends a stream has
    no ``message`` (and an empty ``payload``) but ``messages``, a sequence already
    checked item by item, an iterable or an async iterable checked as it is sent,
    or ``None`` for a bidi stream the caller writes to; ``replayable`` says
    whether what it sends can be sent again (one message or a sequence), the
    condition of any retry. ``deadline`` is absolute, on the client's clock: fixed
    when ``call()``/``call_async()`` is entered, it bounds the bulkhead wait,
    every attempt and every backoff (``timeout`` is the seconds it was made from).
    The ids are those in ``metadata``, kept apart for the call's log event;
    ``request_id`` is the same on every attempt of the call; ``request`` is the
    object asked, for test doubles that record it; ``target`` the client's target,
    as it was given (``dns:///users:50051``), for stages that name the server. A
    NamedTuple because it is built on every call and must cost next to nothing;
    always built by keyword, so a field added later can never take another's
    place. Its repr names the message's type and shows the metadata as
    ``GrpcMetadata`` does, credentials redacted: a traceback that renders local
    variables (structlog's ``dict_tracebacks``, Sentry) shows it.
    """

    request: GrpcRequest
    target: str
    method: GrpcMethod
    message: Message | None
    payload: bytes
    messages: RequestMessages
    replayable: bool
    metadata: MetadataPairs
    timeout: float
    deadline: float
    idempotent: bool
    retry: RetryPolicy
    compression: grpc.Compression | None
    wait_for_ready: bool
    trace_id: str
    correlation_id: str
    request_id: str

    def __repr__(self) -> str:
        return (
            f"<GrpcInvocation {self.method.path} {self._sends()} "
            f"metadata={GrpcMetadata(self.metadata)!r} timeout={self.timeout:g}>"
        )

    def _sends(self) -> str:
        if self.message is not None:
            return type(self.message).__name__
        messages = self.messages
        if messages is None:
            return "written messages"
        return f"{type(messages).__name__} of messages"
