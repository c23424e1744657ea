from injector import Module, provider, singleton

from app.Contexts.Backoffice.Users.Application.Find.GetUserQueryHandler import (
    GetUserQueryHandler,
)
from app.Contexts.Backoffice.Users.Domain.UserFinder import UserFinder
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GrpcUserFinder import GrpcUserFinder
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.UsersGrpcClient import UsersGrpcClient


class UsersModule(Module):
    """Wires the Users module: the port to its gRPC adapter, the handler to the port.

    ``@provider`` methods rather than ``binder.bind(UserFinder, to=GrpcUserFinder)``:
    mypy refuses an abstract class where a concrete one is expected
    (``type-abstract``), and a provider states the wiring in typed code. The
    handler is built here too, so the application layer needs no injector
    decorator. The ``"users"`` client itself comes from ``GrpcClientsModule``.
    """

    @singleton
    @provider
    def user_finder(self, client: UsersGrpcClient) -> UserFinder:
        return GrpcUserFinder(client)

    @singleton
    @provider
    def get_user_query_handler(self, finder: UserFinder) -> GetUserQueryHandler:
        return GetUserQueryHandler(finder)
