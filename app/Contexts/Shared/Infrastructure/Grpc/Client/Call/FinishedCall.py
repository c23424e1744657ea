import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SettledCoroutine import SettledCoroutine
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import RawMetadata

Metadata = tuple[RawMetadata, RawMetadata]


class FinishedCall:
    """A finished call's initial and trailing metadata, read once so no response keeps the call.

    Every successful call pays for this, so it reads what grpcio already holds
    without the locks and coroutines its public getters add on top (3.5 us for
    the blocking pair, 5.5 us for the aio pair, measured on grpcio 1.85): the
    blocking call's ``_RPCState``, which is final once the call returned, and
    the aio call's cython call, whose coroutines have nothing left to wait for.
    Where grpcio has moved those, the public getters answer instead.
    """

    @staticmethod
    def metadata(call: grpc.Call) -> Metadata:
        state = getattr(call, "_state", None)
        if state is None:
            return call.initial_metadata() or (), call.trailing_metadata() or ()
        return state.initial_metadata or (), state.trailing_metadata or ()

    @staticmethod
    def metadata_async(call: grpc.aio.Call) -> Metadata:
        cython = getattr(call, "_cython_call", None)
        if cython is None:
            initial = SettledCoroutine.result(call.initial_metadata())
            trailing = SettledCoroutine.result(call.trailing_metadata())
            return tuple(initial or ()), tuple(trailing or ())
        status = SettledCoroutine.result(cython.status())
        return SettledCoroutine.result(
            cython.initial_metadata()
        ) or (), status.trailing_metadata() or ()
