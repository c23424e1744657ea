from app.Contexts.Backoffice.Users.Domain.UserNotFound import UserNotFound


def test_it_names_the_missing_user_and_keeps_the_id() -> None:
    error = UserNotFound("999")

    assert str(error) == "user '999' not found"
    assert error.user_id == "999"
