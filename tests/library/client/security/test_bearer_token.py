from typing import Any

import pytest

from grpc_request_client import InvalidBearerToken, InvalidGrpcClientSettings
from grpc_request_client.security import BearerToken

SECRET = "tok-9d2e7b"


def test_a_fixed_token_is_its_own_current_value() -> None:
    assert BearerToken(SECRET).current() == SECRET


def test_a_provider_is_asked_every_time() -> None:
    answers = iter(["first", "second"])

    token = BearerToken(lambda: next(answers))

    assert [token.current(), token.current()] == ["first", "second"]


@pytest.mark.parametrize(
    ("source", "says"),
    [
        pytest.param("", "must be non-empty printable ASCII without spaces", id="empty"),
        pytest.param(f"{SECRET} more", "without spaces", id="space"),
        pytest.param(f"{SECRET}\n", "without spaces", id="newline"),
        pytest.param(f"{SECRET}é", "printable ASCII", id="not-ascii"),
        pytest.param(
            f"Bearer {SECRET}", "starts with 'Bearer ': give the token alone", id="prefix"
        ),
        pytest.param(
            42, "must be a str or a zero-argument callable returning one, got int", id="int"
        ),
        pytest.param(SECRET.encode(), "got bytes", id="bytes"),
    ],
)
def test_a_fixed_token_that_cannot_be_sent_fails_at_construction_without_showing_it(
    source: Any, says: str
) -> None:
    with pytest.raises(InvalidBearerToken, match=says) as raised:
        BearerToken(source)

    assert SECRET not in str(raised.value)
    assert isinstance(raised.value, InvalidGrpcClientSettings)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        pytest.param(
            None, "the bearer token provider's answer must be a str, got NoneType", id="none"
        ),
        pytest.param(
            f"{SECRET} x", "the bearer token provider's answer must be non-empty", id="space"
        ),
    ],
)
def test_a_providers_unusable_answer_is_refused_without_showing_it(answer: Any, says: str) -> None:
    token = BearerToken(lambda: answer)

    with pytest.raises(InvalidBearerToken, match=says) as raised:
        token.current()

    assert SECRET not in str(raised.value)


def test_the_repr_never_shows_the_token() -> None:
    assert repr(BearerToken(SECRET)) == "<BearerToken fixed [redacted]>"
    assert repr(BearerToken(lambda: SECRET)) == "<BearerToken provider [redacted]>"


def test_equal_fixed_tokens_are_equal_and_providers_only_to_themselves() -> None:
    def provider() -> str:
        return SECRET

    assert BearerToken(SECRET) == BearerToken(SECRET)
    assert hash(BearerToken(SECRET)) == hash(BearerToken(SECRET))
    assert BearerToken(provider) == BearerToken(provider)
    assert BearerToken(provider) != BearerToken(lambda: SECRET)
