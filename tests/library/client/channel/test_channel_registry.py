import math

import pytest

from grpc_request_client import ChannelRegistry, InvalidGrpcClientSettings


@pytest.mark.parametrize("linger", [-1, True, math.nan, math.inf, "60", None])
def test_a_linger_that_is_not_seconds_is_refused_by_name(linger: object) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="linger must be a number of seconds"):
        ChannelRegistry(linger=linger)  # type: ignore[arg-type]


@pytest.mark.parametrize("linger", [0, 0.5, 60])
def test_zero_and_positive_lingers_are_taken(linger: float) -> None:
    assert ChannelRegistry(linger=linger).open_channels() == 0
