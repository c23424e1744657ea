"""What mypy must infer, checked by ``assert_type``: this file type-checks with no error.

Never run, only type-checked, by tests/Typing/test_typing.py.
"""

import functools
from typing import Any, Unpack, assert_type

from grpc_request_client import (
    AsyncGrpcStream,
    GrpcClient,
    GrpcClientOptions,
    GrpcClientSettings,
    GrpcResponse,
    GrpcStream,
    RetryPolicy,
    ServiceDiscoveryGrpcClient,
    ServiceRegistry,
)
from grpc_request_client.testing import FakeGrpcClient
from protos.storage_pb2 import UploadResult
from protos.user_pb2 import User
from tests.Typing.checked.declared_requests import (
    GetUser,
    ListUsers,
    SeedGetUser,
    SeedListUsers,
    UploadObject,
)


def calls(client: GrpcClient) -> None:
    response = client.call(GetUser("1"))
    assert_type(response, GrpcResponse[User])
    assert_type(response.reply(), User)
    assert_type(response.reply().name, str)
    assert_type(response.message(), User | None)
    assert_type(response.raise_for_status(), GrpcResponse[User])
    assert_type(client.call(UploadObject()), GrpcResponse[UploadResult])


async def calls_async(client: GrpcClient) -> None:
    response = await client.call_async(GetUser("1"))
    assert_type(response, GrpcResponse[User])
    assert_type(response.reply(), User)


def streams(client: GrpcClient) -> None:
    with client.stream(ListUsers()) as users:
        assert_type(users, GrpcStream[User])
        assert_type(users.read(), User | None)
        for user in users:
            assert_type(user, User)
    assert_type(users.response(), GrpcResponse[User])


async def streams_async(client: GrpcClient) -> None:
    async with client.stream_async(ListUsers()) as users:
        assert_type(users, AsyncGrpcStream[User])
        assert_type(await users.read(), User | None)
        async for user in users:
            assert_type(user, User)


def the_fake_types_as_the_client(fake: FakeGrpcClient) -> None:
    assert_type(fake.call(GetUser("1")), GrpcResponse[User])
    assert_type(fake.stream(ListUsers()), GrpcStream[User])
    assert_type(fake.stream_async(ListUsers()), AsyncGrpcStream[User])


async def discovered(discovery: ServiceDiscoveryGrpcClient) -> None:
    assert_type(discovery.call_service("users", GetUser("1")), GrpcResponse[User])
    assert_type(await discovery.call_service_async("users", GetUser("1")), GrpcResponse[User])


def the_seed_style_keeps_any(client: GrpcClient) -> str:
    response = client.call(SeedGetUser())
    assert_type(response, GrpcResponse[Any])
    assert_type(response.message(), Any)
    assert_type(response.reply(), Any)
    with client.stream(SeedListUsers()) as users:
        assert_type(users.read(), Any)
        for user in users:
            assert_type(user, Any)
    name: str = response.raise_for_status().message().name
    return name


def options_are_checked_and_accepted(
    settings: GrpcClientSettings, registry: ServiceRegistry
) -> None:
    GrpcClient("users:50051", default_timeout=2, compression="gzip", retry=None)
    GrpcClientSettings.create("users:50051", wait_for_ready=True, retry=RetryPolicy())
    FakeGrpcClient(default_timeout=0.5, options={"grpc.max_metadata_size": 16384})
    assert_type(settings.keywords(), GrpcClientOptions)
    GrpcClient("users:50051", **settings.keywords())
    factory = functools.partial(GrpcClient, load_balancing="round_robin")
    ServiceDiscoveryGrpcClient(registry, factory)


def a_factory_forwards_checked_options(**options: Unpack[GrpcClientOptions]) -> GrpcClient:
    return GrpcClient("users:50051", **options)


def forwarded() -> None:
    a_factory_forwards_checked_options(max_reconnect_backoff=None, user_agent="billing/1.4")
