"""The injector key of the client for the user service: ``GrpcClient`` named ``"users"``.

To mypy it is just ``GrpcClient``; to injector the name tells it apart from the
clients of other services. ``"users"`` is the name the service is registered
under in the ``GrpcClientRegistry``.
"""

from typing import Annotated

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient

UsersGrpcClient = Annotated[GrpcClient, "users"]
