"""The import-linter contracts in pyproject.toml hold, and each one can actually fail.

``make lint`` runs them on the real tree. Here each contract is broken on purpose in a
copy of ``app/`` and ``grpc_request_client/`` to prove it is not vacuous: a wildcard that
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
LIBRARY = Path("grpc_request_client")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

VIOLATIONS = {
    "domain imports grpc": (USERS / "Domain/User.py", "import grpc"),
    "domain imports the library beyond its remote errors": (
        USERS / "Domain/User.py",
        "from grpc_request_client.response import GrpcResponse",
    ),
    "the remote errors import protobuf": (LIBRARY / "remote_errors.py", "import google.protobuf"),
    "application imports infrastructure": (
        USERS / "Application/Find/GetUserQuery.py",
        "from app.Contexts.Backoffice.Users.Infrastructure.UsersModule import UsersModule",
    ),
    "domain imports application": (
        USERS / "Domain/UserFinder.py",
        "from app.Contexts.Backoffice.Users.Application.Find.GetUserQuery import GetUserQuery",
    ),
    "channels import the call engine above them": (
        LIBRARY / "channels.py",
        "from grpc_request_client.engine import CallEngine",
    ),
    "a response imports the client that makes it": (
        LIBRARY / "response.py",
        "from grpc_request_client.client import GrpcClient",
    ),
    "an option value imports the settings": (
        LIBRARY / "options.py",
        "from grpc_request_client.settings import GrpcClientSettings",
    ),
    "the client imports observability": (
        LIBRARY / "client.py",
        "from grpc_request_client.prometheus import PrometheusClientMetrics",
    ),
    "a server interceptor imports prometheus_client": (
        LIBRARY / "server.py",
        "import prometheus_client",
    ),
    "the client imports opentelemetry": (LIBRARY / "engine.py", "import opentelemetry"),
    "discovery imports the grpc client": (
        LIBRARY / "discovery.py",
        "from grpc_request_client.client import GrpcClient",
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
    for package in ("app", "grpc_request_client"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
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
