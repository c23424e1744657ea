from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class GrpcClientAlreadyRegistered(GrpcClientError, ValueError):
    """A name, or another spelling of it, was registered twice.

    Replacing the first settings silently would leave whoever got its client
    talking to a service the configuration no longer describes.
    """
