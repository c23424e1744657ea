import pytest

from grpc_request_client.context import CorrelationId, TraceId


def test_correlation_ids_are_made_fresh_each_time_and_pass_their_own_rule() -> None:
    first, second = CorrelationId.generate(), CorrelationId.generate()

    assert first != second
    assert CorrelationId.is_valid(first)


@pytest.mark.parametrize(
    "candidate",
    ["order-2024-0042", "4bf92f3577b34da6a3ce929d0e0e4736", "abc", "x y z w v u", "-leading", None],
)
def test_a_correlation_id_is_held_to_the_trace_id_rule(candidate: object) -> None:
    assert CorrelationId.is_valid(candidate) == TraceId.is_valid(candidate)
