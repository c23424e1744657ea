import inspect

from grpc_request_client import RemoteServiceError, RemoteServiceUnavailable, remote_errors


def test_the_message_quotes_the_status_and_what_the_other_side_said() -> None:
    error = RemoteServiceUnavailable("UNAVAILABLE", "connection refused")

    assert str(error) == "UNAVAILABLE: connection refused"
    assert (error.status, error.details) == ("UNAVAILABLE", "connection refused")


def test_without_details_the_message_is_the_status_alone() -> None:
    assert str(RemoteServiceError("INTERNAL")) == "INTERNAL"


REMOTE_ERRORS = [
    cls
    for _, cls in inspect.getmembers(remote_errors, inspect.isclass)
    if cls.__module__ == remote_errors.__name__
]


def test_one_clause_catches_every_remote_failure() -> None:
    assert len(REMOTE_ERRORS) == 10
    assert all(issubclass(cls, RemoteServiceError) for cls in REMOTE_ERRORS)


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = remote_errors.__doc__ or ""

    assert all(cls.__name__ in doc for cls in REMOTE_ERRORS)
