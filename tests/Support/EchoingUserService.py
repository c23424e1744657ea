import grpc

from protos import user_pb2, user_pb2_grpc

_NOT_ECHOED = ("grpc-", ":", "user-agent")


class EchoingUserService(user_pb2_grpc.UserServiceServicer):
    """A user service that sends the caller's own metadata back, so responses carry it too.

    What a call sent (all but what grpc itself adds) comes back as initial
    metadata when GetUser succeeds and as trailing metadata when it fails, which
    it does for the user id ``404``: a test can then look for a secret in the
    response's metadata as well as in what the client logged.
    """

    def GetUser(
        self, request: user_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> user_pb2.User:
        echoed = tuple(
            (key, value)
            for key, value in context.invocation_metadata()
            if not key.startswith(_NOT_ECHOED)
        )
        if request.user_id == "404":
            context.set_trailing_metadata(echoed)
            context.abort(grpc.StatusCode.NOT_FOUND, f"user {request.user_id} not found")
        context.send_initial_metadata(echoed)
        return user_pb2.User(id=request.user_id)
