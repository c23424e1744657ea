"""The client, the server interceptors and the test doubles import without prometheus-client."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[7]

BLOCKED = """
import sys
sys.modules["prometheus_client"] = None  # an import of it now raises ImportError
import app.Contexts.Shared.Infrastructure.Grpc.Client
import app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient
import app.Contexts.Shared.Infrastructure.Grpc.Server.RequestContextServerInterceptor
import app.Contexts.Shared.Infrastructure.Grpc.Server.AsyncRequestContextServerInterceptor
import app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeGrpcClient
import app.Contexts.Shared.Infrastructure.Grpc.Observability
import app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors
try:
    import app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus
except ImportError as error:
    print("prometheus pieces need it:", error.name)
"""


def test_the_client_imports_without_prometheus_client() -> None:
    result = subprocess.run(  # noqa: S603  # this interpreter, our own fixed script
        [sys.executable, "-c", BLOCKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "prometheus pieces need it: prometheus_client"
