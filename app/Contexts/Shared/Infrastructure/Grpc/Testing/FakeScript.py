import threading
from collections.abc import Iterator, Sequence
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidFakeAnswer import (
    InvalidFakeAnswer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeAnswer import FakeAnswer
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeStreamAnswer import (
    FakeStreamAnswer,
    Replies,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

Answer = FakeAnswer | FakeStreamAnswer


class FakeScript:
    """The answers a ``FakeGrpcClient`` gives, per method, in the order they were scripted.

    Each call takes the next answer and the last one stays, so one answer
    serves every call and a sequence (UNAVAILABLE, then a reply) plays out once
    over a retried call. A method nothing was scripted for answers UNIMPLEMENTED,
    as a server without it would, naming what is scripted so a typo shows. When
    the service's generated module is imported, a script for a method the
    service lacks, a reply of the wrong class, or an answer of the wrong shape
    (one reply for a method that streams its replies, a stream for one that
    answers once) is refused as it is written; otherwise when it is called. A
    failure fits every method: a stream given one fails before its first message.
    """

    def __init__(self) -> None:
        self._answers: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        AfterFork.register(self, in_child=FakeScript._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    def add(
        self, service: str, method: str, answer: Answer, replies: Sequence[Message] = ()
    ) -> None:
        """Script ``answer`` next; ``replies``, the messages it sends, are checked if they can."""
        path = self._checked_path(service, method, answer, replies)
        with self._lock:
            self._answers.setdefault(path, []).append(answer)

    def respond(self, call: RecordedCall, reply_class: type[Message]) -> GrpcResponse:
        """The answer to a call that gets one reply: a unary or client-streaming one."""
        answer, unscripted = self._next(call.path)
        if answer is None:
            return unscripted
        if isinstance(answer, FakeStreamAnswer):
            raise InvalidFakeAnswer(_answers_once(call.path, answer.scripted_by))
        return answer.respond(call, reply_class)

    def open(
        self, call: RecordedCall, reply_class: type[Message], requests: Iterator[Any]
    ) -> tuple[RawMetadata, Replies]:
        """The answer to a stream of replies: its initial metadata, and its items as read."""
        answer, unscripted = self._next(call.path)
        if answer is None:
            return (), FakeStreamAnswer.ending(unscripted)
        if isinstance(answer, FakeStreamAnswer):
            return answer.initial, answer.replies_for(call, requests, reply_class)
        if not answer.is_failure:
            raise InvalidFakeAnswer(_streams(call.path, answer.scripted_by))
        response = answer.respond(call, reply_class)
        return response.initial_metadata().pairs(), FakeStreamAnswer.ending(response)

    def _next(self, path: str) -> tuple[Answer | None, GrpcResponse]:
        """The path's next answer, and the UNIMPLEMENTED response for when it has none."""
        with self._lock:
            answers = self._answers.get(path, [])
            answer = answers.pop(0) if len(answers) > 1 else next(iter(answers), None)
            scripted = ", ".join(sorted(self._answers)) or "nothing"
        unscripted = GrpcResponse(
            grpc.StatusCode.UNIMPLEMENTED,
            details=f"FakeGrpcClient has no answer for {path}; scripted: {scripted}",
        )
        return answer, unscripted

    @staticmethod
    def _checked_path(service: str, method: str, answer: Answer, replies: Sequence[Message]) -> str:
        if not (isinstance(service, str) and isinstance(method, str)):
            raise InvalidFakeAnswer(
                f"name the service and method with strings, got {service!r} and {method!r}"
            )
        path = f"/{service}/{method}"
        try:
            known = descriptor_pool.Default().FindServiceByName(service)
        except KeyError:
            return path  # not imported (yet): the call checks the answer against its method
        found = known.methods_by_name.get(method)
        if found is None:
            methods = ", ".join(sorted(known.methods_by_name)) or "none"
            raise InvalidFakeAnswer(
                f"{path}: {service} has no method {method!r} (it has: {methods})"
            )
        streams = isinstance(answer, FakeStreamAnswer)
        if isinstance(answer, FakeAnswer) and found.server_streaming and not answer.is_failure:
            raise InvalidFakeAnswer(_streams(path, answer.scripted_by))
        if streams and not found.server_streaming:
            raise InvalidFakeAnswer(_answers_once(path, answer.scripted_by))
        expected = found.output_type.full_name
        for index, reply in enumerate(replies):
            given = reply.DESCRIPTOR.full_name
            if given != expected and streams:
                raise InvalidFakeAnswer(
                    f"{path} returns {expected}; reply_stream() message {index} is {given}"
                )
            if given != expected:
                raise InvalidFakeAnswer(f"{path} returns {expected}, not {given}")
        return path


def _streams(path: str, scripted_by: str) -> str:
    return (
        f"{path} streams its replies: script it with reply_stream() or handle_stream(), "
        f"not {scripted_by}"
    )


def _answers_once(path: str, scripted_by: str) -> str:
    return f"{path} answers with one reply: script it with reply() or handle(), not {scripted_by}"
