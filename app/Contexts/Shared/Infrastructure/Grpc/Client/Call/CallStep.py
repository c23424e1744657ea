from enum import Enum


class CallStep(Enum):
    """What a driver does next for a call, the first item of each step ``CallEngine`` yields.

    ``CallEngine`` decides, the drivers (``GrpcClient.call`` and
    ``call_async``) only carry out: ``SLOT`` waits for a bulkhead slot
    (answering whether one was taken), ``SEND`` makes one attempt with this
    timeout (answering its ``GrpcResponse``), ``SLEEP`` waits out a backoff
    (answering ``None``). A step is a plain ``(CallStep, seconds, invocation)``
    tuple, since one is made for every attempt of every call.

    A stream's attempt (``GrpcStream``, ``AsyncGrpcStream``) is answered
    differently: ``SEND`` opens it, and is answered by the attempt's response
    if it ended before a reply message came, or by ``StreamOpened.ANSWER`` once one
    did; from then on no attempt is retried, and ``RECEIVE`` waits for the end
    of the stream, answering its final response.
    """

    SLOT = "slot"
    SEND = "send"
    SLEEP = "sleep"
    RECEIVE = "receive"
