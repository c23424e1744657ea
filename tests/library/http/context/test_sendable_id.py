import pytest

from grpc_request_client.context import SendableId, TraceId, UserId


@pytest.mark.parametrize("candidate", ["t", "t-1", "job 42", "a b  c", "x" * 10_000, "~"])
def test_any_printable_ascii_without_a_space_at_either_end_can_travel(candidate: str) -> None:
    assert SendableId.is_valid(candidate)


@pytest.mark.parametrize(
    "candidate",
    ["", " ", " t-1", "t-1 ", "é", "a\nb", "a\tb", "\x7f", b"t-1", None, 1],
)
def test_anything_else_cannot(candidate: object) -> None:
    assert not SendableId.is_valid(candidate)


@pytest.mark.parametrize("candidate", ["trace-0001-abcdef", "ada@example.com", "1"])
def test_every_id_kept_from_outside_can_travel_too(candidate: str) -> None:
    assert SendableId.is_valid(candidate)
    assert TraceId.is_valid(candidate) or UserId.is_valid(candidate)
