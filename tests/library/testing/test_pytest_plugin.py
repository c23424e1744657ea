"""The fixtures as users get them: loaded by ``pytest_plugins`` in a conftest of their own."""

from pathlib import Path

import grpc
import pytest

from grpc_request_client import GrpcClient

USERS_INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

USERS_CONFTEST = """
pytest_plugins = ["grpc_request_client.testing.pytest_plugin"]
"""

USERS_TESTS = """
import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import GetUserGrpcRequest
from protos import user_pb2, user_pb2_grpc

FAKES = []


class Users(user_pb2_grpc.UserServiceServicer):
    def GetUser(self, request, context):
        return user_pb2.User(id=request.user_id, name="from the test server")


def test_a_test_that_fails_after_starting_servers(grpc_test_server, fake_grpc_client):
    first = grpc_test_server(Users())
    second = grpc_test_server(Users(), health=False)
    with open("targets.txt", "w") as targets:
        targets.write(f"{first.target}\\n{second.target}\\n")
    with GrpcClient(first.target) as client:
        assert client.call(GetUserGrpcRequest("1")).message().name == "from the test server"
    fake_grpc_client.reply("user.UserService", "GetUser", user_pb2.User(name="from the fake"))
    assert fake_grpc_client.call(GetUserGrpcRequest("1")).message().name == "from the fake"
    FAKES.append(fake_grpc_client)
    raise AssertionError("failing on purpose: teardown must still stop and close")


def test_the_fake_of_the_last_test_was_closed(fake_grpc_client):
    assert repr(FAKES[0]) == "<FakeGrpcClient fake:50051 closed>"
    assert FAKES[0] is not fake_grpc_client
"""


def test_the_fixtures_stop_and_close_what_a_test_opened_even_when_it_fails(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(USERS_INI)
    pytester.makeconftest(USERS_CONFTEST)
    pytester.makepyfile(test_users=USERS_TESTS)

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*failing on purpose*"])
    targets = Path(pytester.path, "targets.txt").read_text().split()
    assert len(targets) == 2
    for target in targets:
        with GrpcClient(target, default_timeout=5.0) as client:
            assert client.check_health().code is grpc.StatusCode.UNAVAILABLE


CHANNEL_TESTS = """
from pathlib import Path

from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import GetUserGrpcRequest
from grpc_request_client import ChannelRegistry, GrpcClient
from protos import user_pb2, user_pb2_grpc

BEFORE = []


class Users(user_pb2_grpc.UserServiceServicer):
    def GetUser(self, request, context):
        return user_pb2.User(id=request.user_id)


def test_a_closed_client_leaves_its_channel_lingering(grpc_test_server):
    BEFORE.append(ChannelRegistry.default().open_channels())
    with GrpcClient(grpc_test_server(Users()).target) as client:
        assert client.call(GetUserGrpcRequest("1")).is_success()
    assert ChannelRegistry.default().open_channels() == BEFORE[0] + 1


def test_the_next_test_counts_the_channels():
    Path("channels.txt").write_text(f"{BEFORE[0]} {ChannelRegistry.default().open_channels()}")
"""

KEEPING_CONFTEST = (
    USERS_CONFTEST
    + """
import pytest


@pytest.fixture
def grpc_idle_channels_closed():
    \"\"\"This suite keeps idle channels between tests.\"\"\"
"""
)


def _channels_between_tests(pytester: pytest.Pytester, conftest: str) -> tuple[int, int]:
    """How many channels were open before the first test, and when the second one ran."""
    pytester.makeini(USERS_INI)
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_channels=CHANNEL_TESTS)

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    before, between = Path(pytester.path, "channels.txt").read_text().split()
    return int(before), int(between)


def test_the_plugin_closes_the_channels_a_test_left_idle_before_the_next_test(
    pytester: pytest.Pytester,
) -> None:
    before, between = _channels_between_tests(pytester, USERS_CONFTEST)

    assert between == before


def test_a_suite_that_overrides_the_fixture_keeps_its_idle_channels(
    pytester: pytest.Pytester,
) -> None:
    before, between = _channels_between_tests(pytester, KEEPING_CONFTEST)

    assert between == before + 1
