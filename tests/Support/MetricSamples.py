import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry

# storage.ObjectStorage's methods and their grpc_type.
STORAGE_KINDS = {
    "StatObject": "unary",
    "UploadObject": "client_stream",
    "DownloadObject": "server_stream",
    "ChecksumChunks": "bidi_stream",
}


class MetricSamples:
    """Reads one side's ``grpc_*`` samples of a real registry, by method, for assertions.

    ``value("started_total", "DownloadObject")`` is the sample of
    ``{namespace_}grpc_{side}_started_total`` labelled as go-grpc-middleware
    labels it (``grpc_type`` from the method, ``grpc_service``,
    ``grpc_method``, and ``grpc_code`` or ``le`` when given), ``None`` when the
    registry has no such series.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        side: str,
        *,
        namespace: str = "",
        service: str = "storage.ObjectStorage",
        kinds: dict[str, str] = STORAGE_KINDS,
    ) -> None:
        self.registry = registry
        self._prefix = f"{namespace}_grpc_{side}_" if namespace else f"grpc_{side}_"
        self._service = service
        self._kinds = kinds

    def value(
        self, metric: str, method: str, *, code: str | None = None, le: str | None = None
    ) -> float | None:
        labels = {
            "grpc_type": self._kinds[method],
            "grpc_service": self._service,
            "grpc_method": method,
        }
        if code is not None:
            labels["grpc_code"] = code
        if le is not None:
            labels["le"] = le
        return self.registry.get_sample_value(self._prefix + metric, labels)

    def handled(self, method: str) -> dict[str, float]:
        """Every ``grpc_code`` the method was handled with, and how many times."""
        found = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if (
                    sample.name == f"{self._prefix}handled_total"
                    and sample.labels["grpc_method"] == method
                ):
                    found[sample.labels["grpc_code"]] = sample.value
        return found

    @staticmethod
    def eventually(check: Callable[[], bool], within: float = 5.0) -> bool:
        """Whether ``check`` holds within ``within`` seconds: a server counts a cancel late."""
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True
