import pytest

from grpc_request_client import (
    ChannelRegistry,
    GrpcClient,
    GrpcClientClosed,
    GrpcClientSettings,
    InvalidGrpcClientSettings,
    RetryPolicy,
)
from tests.Support.FakeClock import FakeClock
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


def test_a_client_from_settings_uses_exactly_those_settings_and_calls(
    server: RunningServer,
) -> None:
    settings = GrpcClientSettings.create(
        server.target,
        default_timeout=4.0,
        compression="gzip",
        retry=RetryPolicy(max_attempts=2),
        bearer_token=None,
        load_balancing="round_robin",
    )

    with GrpcClient.from_settings(settings) as client:
        response = client.call(ScriptedRequest("7"))

    assert client.settings == settings
    assert response.message().name == "user 7"


def test_it_is_the_client_the_constructor_makes_from_equal_arguments(
    server: RunningServer,
) -> None:
    registry = ChannelRegistry(linger=0)
    built = GrpcClient(server.target, default_timeout=4.0, channel_registry=registry)
    settings = GrpcClientSettings.create(server.target, default_timeout=4.0)
    from_settings = GrpcClient.from_settings(settings, channel_registry=registry)

    assert from_settings.settings == built.settings
    assert registry.open_channels() == 1  # equal settings share the one connection
    built.close()
    from_settings.close()
    assert registry.open_channels() == 0


def test_the_clock_given_is_the_one_retries_wait_on(server: RunningServer) -> None:
    clock = FakeClock()
    settings = GrpcClientSettings.create(server.target, retry=RetryPolicy(jitter=0))

    with GrpcClient.from_settings(settings, clock=clock) as client:
        response = client.call(ScriptedRequest("fail-2-UNAVAILABLE", idempotent=True))

    assert response.is_success()
    assert clock.sleeps == [0.05, 0.1]


def test_a_client_from_settings_closes_like_any_other(server: RunningServer) -> None:
    client = GrpcClient.from_settings(GrpcClientSettings.create(server.target))
    client.close()

    with pytest.raises(GrpcClientClosed, match="is closed"):
        client.call(ScriptedRequest("7"))


def test_anything_but_settings_is_refused_before_a_connection_is_made() -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="settings must be a GrpcClientSettings"):
        GrpcClient.from_settings("localhost:50051")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("collaborator", "given", "says"),
    [
        ("clock", "monotonic", "clock must be a Clock or None, got str"),
        ("clock", FakeClock, "clock must be a Clock or None, got ABCMeta"),  # the class, not one
        ("channel_registry", 3, "channel_registry must be a ChannelRegistry or None, got int"),
    ],
)
def test_a_collaborator_of_the_wrong_kind_is_refused_by_name_however_the_client_is_made(
    collaborator: str, given: object, says: str
) -> None:
    registry = ChannelRegistry(linger=0)
    settings = GrpcClientSettings.create("127.0.0.1:1")
    others = {} if collaborator == "channel_registry" else {"channel_registry": registry}

    for make in (
        lambda: GrpcClient("127.0.0.1:1", **others, **{collaborator: given}),
        lambda: GrpcClient.from_settings(settings, **others, **{collaborator: given}),
    ):
        with pytest.raises(InvalidGrpcClientSettings, match=says):
            make()
    assert registry.open_channels() == 0
