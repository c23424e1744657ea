from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcClientView import GrpcClientView
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import MetadataPairs

State = TypeVar("State")


class GrpcCallStage(ABC, Generic[State]):
    """Behaviour around every call and every attempt, written once for ``call`` and ``call_async``.

    Given as ``GrpcClient(target, stages=[...])``, outermost first. ``CallEngine``
    calls the hooks from inside its I/O-free generator, so they are plain
    synchronous methods and the same stage serves both APIs. Per call:

    1. ``start(invocation)``, in order, returns this stage's state for the call
       (a span, a start time, a cache key; anything), handed back to every
       other hook. Right after its own ``start`` a stage is asked ``metadata``
       (it may replace the pairs sent, to propagate trace headers: they are
       checked as a request's own are, and the stages after it see them),
       then ``answer``: a response there ends the call without sending it (a
       cache hit; bulkhead, circuit breaker and wire are skipped, and the
       stages after it are not started).
    2. Around each attempt sent: ``attempt_started(state, number, seconds)``
       (from 1; the attempt's timeout in seconds), then
       ``attempt_ended(state, number, response, backoff)`` with the seconds
       the engine will wait before the next attempt, ``None`` when none follows
       (a backoff that would outlive the deadline is never started). A sleep
       that oversleeps what was left of the deadline ends the call after it,
       with no further attempt: the last backoff seen is then not followed by
       an ``attempt_started``.
    3. ``finished(state, invocation, response)``, in reverse order, returns
       the call's response (the same, or a replacement).

    A call that ends with an exception rather than a response (a cancelled task,
    ``KeyboardInterrupt``, a hook that raised) calls ``abandoned(state,
    invocation, error)`` instead of ``finished``, in reverse order, on every
    stage whose ``start`` returned and whose ``finished`` was not called yet. So
    a stage whose ``metadata``, ``answer`` or attempt hook raised is told too (a
    span its ``start`` opened still ends); one whose ``start`` or ``finished``
    raised is not. Then the exception propagates unchanged from ``call`` or
    ``call_async`` (or, if an ``abandoned`` raised, the first such exception,
    chained to it, once every stage was told). Whatever the call held is given
    back first: its bulkhead slot, and its breaker permit, settled with no
    outcome. So a bug in a stage reaches its caller as itself and costs the
    client nothing.

    Once per client, not per call: ``attached(view)``, when a client is built
    with the stage (a stage given to three clients hears it three times). The
    ``GrpcClientView`` reads that client's target, circuit-breaker state and
    bulkhead calls in flight at any moment, for gauges.

    Hooks a subclass does not override are never called, so they cost
    nothing; only ``start`` is required. Hooks run on the calling thread (or
    the event loop, for ``call_async``): they must not block.
    """

    def attached(self, view: GrpcClientView) -> None:
        """A client was built with this stage; ``view`` reads its state (keep it weakly).

        Called once, in the client's constructor, after everything else was
        made. An exception here closes the client and propagates from the
        constructor.
        """

    @abstractmethod
    def start(self, invocation: GrpcInvocation) -> State:
        """The call was entered: this stage's state for it."""

    def metadata(self, state: State, metadata: MetadataPairs) -> MetadataPairs:
        """The ``(key, value)`` pairs to send instead; checked, ``InvalidGrpcMetadata`` if bad."""
        return metadata

    def answer(self, state: State, invocation: GrpcInvocation) -> GrpcResponse | None:
        """A response that ends the call unsent, or ``None`` to send it."""
        return None

    def attempt_started(self, state: State, number: int, seconds: float) -> None:
        """Attempt ``number`` (from 1) goes on the wire with a timeout of ``seconds``."""

    def attempt_ended(
        self, state: State, number: int, response: GrpcResponse, backoff: float | None
    ) -> None:
        """Attempt ``number`` got ``response``; ``backoff`` seconds before the next, or ``None``."""

    def finished(
        self, state: State, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        """The call's response, as the stages outside this one and the caller will see it."""
        return response

    def abandoned(self, state: State, invocation: GrpcInvocation, error: BaseException) -> None:
        """The call ended with ``error`` instead of a response; ``error`` propagates afterwards."""
