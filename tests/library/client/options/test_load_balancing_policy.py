import json
from typing import Any

import grpc
import pytest

from grpc_request_client import GrpcClient, GrpcClientSettings, InvalidGrpcClientSettings
from tests.conftest import Invoke
from tests.Support.RunningBackends import RunningBackends
from tests.Support.ScriptedRequest import ScriptedRequest

CALLS = 300
FAIR_SHARE = 0.2  # of the calls, at least, for each of three backends
ROUND_ROBIN = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})
SMALL_USER_REPLIES = json.dumps(
    {"methodConfig": [{"name": [{"service": "user.UserService"}], "maxResponseMessageBytes": 1000}]}
)


def _service_configs(settings: GrpcClientSettings) -> list[object]:
    return [value for key, value in settings.channel_options() if key == "grpc.service_config"]


def test_round_robin_becomes_the_one_service_config_beside_the_other_options() -> None:
    settings = GrpcClientSettings.create(
        "ipv4:127.0.0.1:1,127.0.0.1:2",
        load_balancing="round_robin",
        max_receive_message_length=1024,
        options={"grpc.primary_user_agent": "svc/1"},
    )

    assert settings.load_balancing == "round_robin"
    assert _service_configs(settings) == [ROUND_ROBIN]
    assert ("grpc.primary_user_agent", "svc/1") in settings.channel_options()
    assert ("grpc.max_receive_message_length", 1024) in settings.channel_options()


def test_without_a_policy_the_options_reach_grpc_untouched() -> None:
    options = (("grpc.service_config", SMALL_USER_REPLIES), ("grpc.lb_policy_name", "x"))

    settings = GrpcClientSettings.create("localhost:50051", options=options)

    assert settings.load_balancing is None
    assert settings.channel_options()[: len(options)] == options
    assert _service_configs(settings) == [SMALL_USER_REPLIES]


def test_policy_names_are_normalised_like_compression_names() -> None:
    settings = GrpcClientSettings.create("localhost:50051", load_balancing="Pick_First")

    assert settings.load_balancing == "pick_first"
    assert _service_configs(settings) == [json.dumps({"loadBalancingConfig": [{"pick_first": {}}]})]


def test_the_policy_is_merged_into_a_service_config_given_in_options_in_its_place() -> None:
    settings = GrpcClientSettings.create(
        "localhost:50051",
        load_balancing="round_robin",
        options=[
            ("grpc.service_config", SMALL_USER_REPLIES),
            ("grpc.primary_user_agent", "svc/1"),
        ],
    )

    [merged] = _service_configs(settings)
    assert json.loads(str(merged)) == {
        **json.loads(SMALL_USER_REPLIES),
        "loadBalancingConfig": [{"round_robin": {}}],
    }
    assert settings.channel_options()[:2] == (
        ("grpc.service_config", merged),
        ("grpc.primary_user_agent", "svc/1"),
    )


@pytest.mark.parametrize(
    "agreeing",
    [
        pytest.param({"grpc.service_config": ROUND_ROBIN}, id="same-loadBalancingConfig"),
        pytest.param(
            {"grpc.service_config": json.dumps({"loadBalancingPolicy": "ROUND_ROBIN"})},
            id="same-legacy-loadBalancingPolicy",
        ),
        pytest.param({"grpc.lb_policy_name": "round_robin"}, id="same-lb_policy_name"),
    ],
)
def test_options_that_agree_with_the_policy_are_kept_as_given(agreeing: dict[str, str]) -> None:
    settings = GrpcClientSettings.create(
        "localhost:50051", load_balancing="round_robin", options=agreeing
    )

    options = settings.channel_options()
    assert _service_configs(settings) == [agreeing.get("grpc.service_config", ROUND_ROBIN)]
    assert all(pair in options for pair in agreeing.items())


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param(
            {"load_balancing": "random"},
            r"load_balancing must be None or one of \['pick_first', 'round_robin'\], got 'random'",
            id="unknown-policy",
        ),
        pytest.param({"load_balancing": 1}, "load_balancing must be None or one of", id="not-str"),
        pytest.param(
            {
                "load_balancing": "round_robin",
                "options": {
                    "grpc.service_config": json.dumps({"loadBalancingConfig": [{"pick_first": {}}]})
                },
            },
            r"load_balancing='round_robin' contradicts the grpc.service_config in options, "
            r"which asks for \['pick_first'\]",
            id="contradicting-loadBalancingConfig",
        ),
        pytest.param(
            {
                "load_balancing": "pick_first",
                "options": {
                    "grpc.service_config": json.dumps({"loadBalancingPolicy": "round_robin"})
                },
            },
            r"contradicts the grpc.service_config in options, which asks for \['round_robin'\]",
            id="contradicting-legacy-loadBalancingPolicy",
        ),
        pytest.param(
            {
                "load_balancing": "round_robin",
                "options": {
                    "grpc.service_config": json.dumps(
                        {"loadBalancingConfig": [{"round_robin": {}}, {"pick_first": {}}]}
                    )
                },
            },
            r"which asks for \['round_robin', 'pick_first'\]",
            id="fallback-list-that-includes-another-policy",
        ),
        pytest.param(
            {"load_balancing": "round_robin", "options": {"grpc.lb_policy_name": "pick_first"}},
            "load_balancing='round_robin' contradicts grpc.lb_policy_name='pick_first' in options",
            id="contradicting-lb_policy_name",
        ),
        pytest.param(
            {"options": {"grpc.service_config": "{'loadBalancingConfig': []}"}},
            "grpc.service_config must be a JSON object in a str",
            id="service-config-not-json",
        ),
        pytest.param(
            {"options": {"grpc.service_config": "[]"}},
            "grpc.service_config must be a JSON object in a str",
            id="service-config-not-an-object",
        ),
        pytest.param(
            {"options": {"grpc.service_config": 1}},
            "grpc.service_config must be a JSON object in a str",
            id="service-config-not-str",
        ),
        pytest.param(
            {"options": [("grpc.service_config", "{}"), ("grpc.service_config", "{}")]},
            "grpc.service_config is given more than once in options",
            id="two-service-configs",
        ),
        pytest.param(
            {
                "load_balancing": "round_robin",
                "options": {
                    "grpc.service_config": json.dumps({"loadBalancingConfig": {"round_robin": {}}})
                },
            },
            r"loadBalancingConfig in grpc.service_config must be a list of \{policy: config\}",
            id="malformed-loadBalancingConfig",
        ),
    ],
)
def test_unusable_balancing_settings_fail_at_construction(
    arguments: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        GrpcClient("localhost:50051", **arguments)


def test_settings_built_directly_are_checked_and_normalised_too() -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="load_balancing must be None or one of"):
        GrpcClientSettings("localhost:50051", load_balancing="least_request")

    built = GrpcClientSettings("localhost:50051", load_balancing="ROUND_ROBIN")
    assert built.load_balancing == "round_robin"


async def _call_many(client: GrpcClient, invoke: Invoke, user_id: str = "7") -> list[str]:
    return [
        (await invoke(client, ScriptedRequest(user_id))).status_code().name for _ in range(CALLS)
    ]


async def test_round_robin_spreads_calls_over_every_address_of_the_target(invoke: Invoke) -> None:
    with RunningBackends.start(3) as backends:
        with GrpcClient(backends.target, load_balancing="round_robin") as client:
            codes = await _call_many(client, invoke)
        answered = backends.answered()

    assert set(codes) == {"OK"}
    assert sum(answered) == CALLS
    assert min(answered) >= CALLS * FAIR_SHARE, answered


@pytest.mark.parametrize("policy", [None, "pick_first"])
async def test_pick_first_sends_every_call_to_one_address(
    invoke: Invoke, policy: str | None
) -> None:
    with RunningBackends.start(3) as backends:
        with GrpcClient(backends.target, load_balancing=policy) as client:
            codes = await _call_many(client, invoke)
        answered = backends.answered()

    assert set(codes) == {"OK"}
    assert sorted(answered) == [0, 0, CALLS]


async def test_a_method_config_from_options_still_applies_when_merged_with_round_robin(
    invoke: Invoke,
) -> None:
    with RunningBackends.start(3) as backends:
        client = GrpcClient(
            backends.target,
            load_balancing="round_robin",
            options={"grpc.service_config": SMALL_USER_REPLIES},
        )
        with client:
            spread = await _call_many(client, invoke)
            big = await invoke(client, ScriptedRequest("big"))  # a reply of over 10 kB
        answered = backends.answered()

    assert set(spread) == {"OK"}
    assert min(answered) >= CALLS * FAIR_SHARE, answered
    assert big.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
