import grpc

_C = grpc.StatusCode
# grpc-go's codes.Code.String(), one entry per status code.
_GO_NAMES = {
    _C.OK: "OK",
    _C.CANCELLED: "Canceled",
    _C.UNKNOWN: "Unknown",
    _C.INVALID_ARGUMENT: "InvalidArgument",
    _C.DEADLINE_EXCEEDED: "DeadlineExceeded",
    _C.NOT_FOUND: "NotFound",
    _C.ALREADY_EXISTS: "AlreadyExists",
    _C.PERMISSION_DENIED: "PermissionDenied",
    _C.RESOURCE_EXHAUSTED: "ResourceExhausted",
    _C.FAILED_PRECONDITION: "FailedPrecondition",
    _C.ABORTED: "Aborted",
    _C.OUT_OF_RANGE: "OutOfRange",
    _C.UNIMPLEMENTED: "Unimplemented",
    _C.INTERNAL: "Internal",
    _C.UNAVAILABLE: "Unavailable",
    _C.DATA_LOSS: "DataLoss",
    _C.UNAUTHENTICATED: "Unauthenticated",
}


class GrpcCodeLabel:
    """The ``grpc_code`` label value of a status: Go's spelling, as go-grpc-middleware writes it.

    go-grpc-middleware's ``providers/prometheus`` labels ``grpc_code`` with
    grpc-go's ``codes.Code.String()`` (``OK``, ``Canceled``, ``DeadlineExceeded``,
    ``Unavailable``...), not Python's enum names (``CANCELLED``,
    ``DEADLINE_EXCEEDED``), so dashboards and alerts written for Go services
    work unchanged. The one table is here.
    """

    @staticmethod
    def of(code: grpc.StatusCode) -> str:
        """``"DeadlineExceeded"`` for ``grpc.StatusCode.DEADLINE_EXCEEDED``, and so on."""
        return _GO_NAMES[code]
