from abc import ABC, abstractmethod


class ServiceRegistry(ABC):
    """Where services' addresses come from, so calling code names services, never hosts.

    The answer is a grpc target, handed as is to ``GrpcClient``: one
    ``host:port``, or a name grpc's own resolver expands into several addresses
    (``dns:///name:port``, ``ipv4:a:p,b:p``) for its balancer to spread calls
    over. Adapters decide where to look (the environment, a fixed table, DNS).
    """

    @abstractmethod
    def discover(self, service_name: str) -> str:
        """The grpc target of ``service_name``.

        Raises ``ServiceNotFound``, saying where it looked, when there is none;
        ``InvalidServiceAddress`` when what it found cannot be a target.
        """
