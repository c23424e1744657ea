from collections.abc import Iterator

import pytest
from injector import Injector

from app.Contexts.Backoffice.Users.Application.Find.GetUserQuery import GetUserQuery
from app.Contexts.Backoffice.Users.Application.Find.GetUserQueryHandler import (
    GetUserQueryHandler,
)
from app.Contexts.Backoffice.Users.Domain.UserFinder import UserFinder
from app.Contexts.Backoffice.Users.Domain.UserNotFound import UserNotFound
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GrpcUserFinder import GrpcUserFinder
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.UserGrpcService import UserGrpcService
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.UsersGrpcClient import UsersGrpcClient
from app.Contexts.Backoffice.Users.Infrastructure.UsersModule import UsersModule
from app.Demo.DemoServer import DemoServer
from grpc_request_client import (
    GrpcClientClosed,
    GrpcClientRegistry,
    GrpcClientSettings,
    GrpcClientsModule,
    RemoteServiceTimeout,
    RemoteServiceUnavailable,
)


def _container(target: str, *, timeout: float = 2.0) -> Injector:
    registry = GrpcClientRegistry({})
    registry.register("users", GrpcClientSettings.create(target, default_timeout=timeout))
    return Injector([GrpcClientsModule(registry), UsersModule()])


@pytest.fixture
def container(user_service: DemoServer) -> Iterator[Injector]:
    container = _container(user_service.target, timeout=0.5)
    yield container
    container.get(GrpcClientRegistry).close_all()


def test_the_handler_gets_the_grpc_adapter_behind_its_port(container: Injector) -> None:
    handler = container.get(GetUserQueryHandler)

    assert handler.handle(GetUserQuery("123")).name == "John Doe"
    assert isinstance(container.get(UserFinder), GrpcUserFinder)


def test_the_handler_raises_user_not_found_for_an_unknown_user(container: Injector) -> None:
    with pytest.raises(UserNotFound, match="'999'"):
        container.get(GetUserQueryHandler).handle(GetUserQuery("999"))


def test_the_handler_sees_a_slow_service_as_a_remote_timeout(container: Injector) -> None:
    with pytest.raises(RemoteServiceTimeout):
        container.get(GetUserQueryHandler).handle(GetUserQuery("slow"))


def test_the_handler_sees_a_service_that_is_gone_as_unavailable() -> None:
    with DemoServer() as server:
        target = server.target
    container = _container(target)

    with pytest.raises(RemoteServiceUnavailable):
        container.get(GetUserQueryHandler).handle(GetUserQuery("123"))
    container.get(GrpcClientRegistry).close_all()


def test_the_service_wrapper_gets_the_shared_users_client(container: Injector) -> None:
    service = container.get(UserGrpcService)

    assert service.get_user("456")["name"] == "Jane Roe"
    container.get(UsersGrpcClient).close()  # the one client, so the service can no longer call
    with pytest.raises(GrpcClientClosed):
        service.get_user("456")


def test_the_port_and_the_handler_are_singletons(container: Injector) -> None:
    assert container.get(GetUserQueryHandler) is container.get(GetUserQueryHandler)
    assert container.get(UserFinder) is container.get(UserFinder)


def test_shutdown_closes_the_client_every_part_shares(container: Injector) -> None:
    handler, service = container.get(GetUserQueryHandler), container.get(UserGrpcService)

    container.get(GrpcClientRegistry).close_all()

    with pytest.raises(GrpcClientClosed):
        handler.handle(GetUserQuery("123"))
    with pytest.raises(GrpcClientClosed):
        service.get_user("123")
