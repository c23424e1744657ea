import math
from fractions import Fraction
from typing import Any

import grpc
import pytest

from grpc_request_client import GrpcClient, InvalidGrpcTimeout
from grpc_request_client.options import TimeoutSeconds
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


@pytest.mark.parametrize(
    "timeout",
    [0, 0.0, -1, math.nan, math.inf, 1e12, "5", True, [5]],
    ids=[
        "zero",
        "zero-float",
        "negative",
        "nan",
        "inf",
        "past-grpc-overflow",
        "str",
        "bool",
        "list",
    ],
)
async def test_an_unusable_timeout_raises_and_sends_nothing(
    client: GrpcClient, server: RunningServer, invoke: Invoke, timeout: Any
) -> None:
    with pytest.raises(InvalidGrpcTimeout, match="above 0 and at most 1e"):
        await invoke(client, ScriptedRequest("1", timeout=timeout))

    assert server.service.received == []


async def test_integer_and_fraction_timeouts_are_accepted(
    client: GrpcClient, invoke: Invoke
) -> None:
    assert (
        await invoke(client, ScriptedRequest("1", timeout=5))
    ).status_code() is grpc.StatusCode.OK
    assert (await invoke(client, ScriptedRequest("1", timeout=Fraction(5, 2)))).is_success()


def test_parse_converts_other_real_numbers_to_float() -> None:
    assert TimeoutSeconds.parse(Fraction(1, 4), ValueError, "t") == 0.25
    assert TimeoutSeconds.parse(3, ValueError, "t") == 3
