import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings


class ChannelFactory:
    """The one place that turns settings into grpc channels, blocking or aio.

    Keeping both kinds here means transport concerns (credentials, balancing,
    keepalive) are decided once and cannot drift between ``call`` and
    ``call_async``.
    """

    @staticmethod
    def sync(settings: GrpcClientSettings) -> grpc.Channel:
        return grpc.insecure_channel(
            settings.target, options=settings.channel_options(), compression=settings.compression
        )

    @staticmethod
    def aio(settings: GrpcClientSettings) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(
            settings.target, options=settings.channel_options(), compression=settings.compression
        )
