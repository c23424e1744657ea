"""The import-linter contracts in pyproject.toml hold, and each one can actually fail.

``make lint`` runs them on the real tree. Here each contract is broken on
purpose in a copy of ``app/`` to prove it is not vacuous: a wildcard that
matched nothing would keep passing whatever the code did.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
USERS = Path("app/Contexts/Backoffice/Users")
CLIENT = Path("app/Contexts/Shared/Infrastructure/Grpc/Client")
CLIENT_PACKAGE = "app.Contexts.Shared.Infrastructure.Grpc.Client"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

VIOLATIONS = {
    "domain imports grpc": (USERS / "Domain/User.py", "import grpc"),
    "shared domain imports protobuf": (
        Path("app/Contexts/Shared/Domain/Errors/RemoteServiceFailed.py"),
        "import google.protobuf",
    ),
    "application imports infrastructure": (
        USERS / "Application/Find/GetUserQuery.py",
        "from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId",
    ),
    "domain imports application": (
        USERS / "Domain/UserFinder.py",
        "from app.Contexts.Backoffice.Users.Application.Find.GetUserQuery import GetUserQuery",
    ),
    "shared domain imports shared infrastructure": (
        Path("app/Contexts/Shared/Domain/Errors/RemoteServiceError.py"),
        "from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId",
    ),
    "channels import the call engine above them": (
        CLIENT / "Channel/SharedChannel.py",
        f"from {CLIENT_PACKAGE}.Call.CallEngine import CallEngine",
    ),
    "a response imports the client that makes it": (
        CLIENT / "GrpcResponse.py",
        f"from {CLIENT_PACKAGE}.GrpcClient import GrpcClient",
    ),
    "two policies import each other": (
        CLIENT / "BulkheadPolicy.py",
        f"from {CLIENT_PACKAGE}.RetryPolicy import RetryPolicy",
    ),
    "an option value imports the settings": (
        CLIENT / "Options/TimeoutSeconds.py",
        f"from {CLIENT_PACKAGE}.GrpcClientSettings import GrpcClientSettings",
    ),
    "the client imports observability": (
        CLIENT / "GrpcClient.py",
        "from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus"
        ".PrometheusClientMetrics import PrometheusClientMetrics",
    ),
    "a server interceptor imports prometheus_client": (
        Path("app/Contexts/Shared/Infrastructure/Grpc/Server/PeerAddress.py"),
        "import prometheus_client",
    ),
    "discovery imports the grpc client": (
        Path("app/Contexts/Shared/Infrastructure/Discovery/ServiceAddress.py"),
        f"from {CLIENT_PACKAGE}.Errors.GrpcClientError import GrpcClientError",
    ),
}


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603  # our own venv's tool, fixed arguments
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_real_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint_imports(tree)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("violation", VIOLATIONS, ids=str)
def test_each_kind_of_violation_breaks_a_contract(tree: Path, violation: str) -> None:
    module, line = VIOLATIONS[violation]
    with (tree / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}  # noqa\n")

    result = _lint_imports(tree)

    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
