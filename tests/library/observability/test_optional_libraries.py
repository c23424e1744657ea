"""The client, the servers' interceptors and the test doubles import without either extra."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

BLOCKED = """
import sys
sys.modules[{library!r}] = None  # an import of it now raises ImportError
import grpc_request_client
import grpc_request_client.testing
import grpc_request_client.testing.pytest_plugin
import grpc_request_client.{other}
try:
    import grpc_request_client.{package}
except ImportError as error:
    print("{package} needs it:", error.name)
"""


@pytest.mark.parametrize(
    ("library", "package", "other"),
    [
        ("prometheus_client", "prometheus", "otel"),
        ("opentelemetry", "otel", "prometheus"),
    ],
)
def test_the_client_imports_without_the_library(library: str, package: str, other: str) -> None:
    script = BLOCKED.format(library=library, package=package, other=other)
    result = subprocess.run(  # noqa: S603  # this interpreter, our own fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{package} needs it: {library}"
