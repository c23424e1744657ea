"""GrpcCodeLabel: grpc_code in grpc-go's spelling, for every status code."""

import grpc

from grpc_request_client.prometheus import GrpcCodeLabel

# grpc-go's codes.Code.String(), in the order of the codes' numbers.
GO_NAMES = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
]


def test_every_status_code_has_gos_name() -> None:
    codes = sorted(grpc.StatusCode, key=lambda code: code.value[0])

    assert [GrpcCodeLabel.of(code) for code in codes] == GO_NAMES
