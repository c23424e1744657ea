"""The wheel holds ``grpc_request_client`` alone, and a service with its own ``app`` and
``protos`` packages runs on it.

The library used to install top-level ``app`` and ``protos`` packages too, which took the
place of a service's own ``app/`` (the layout the docs recommend). These tests build the
wheel from the repository, read it, install it into a fresh virtual environment and run
a small service of their own on it (``shop_service/``).

How, and what it costs (2 cores, measured while writing this test; the range is
from an idle machine to one running three other suites):

- The wheel is built from a copy of the working tree, caches and earlier build output
  left out, so a stale ``build/`` or ``*.egg-info`` never leaks into it (setuptools
  reuses both) and the test writes nothing into the checkout. The copy keeps ``app/``,
  ``protos/`` (generated modules included), ``tests/`` and ``docs/``: the wheel must
  leave them out however full the tree is. ``pip wheel --no-build-isolation`` uses the
  suite's setuptools, offline: 1-4 s.
- The fresh environment is made ``--without-pip`` (0.1 s instead of 5 s for ensurepip)
  and the suite's pip installs into it with ``--python``, pip's own way of serving
  another interpreter. It installs the wheel with its dependencies and the ``otel`` and
  ``prometheus`` extras from the package index, as a service would, plus
  ``opentelemetry-sdk``, which a service that exports spans installs itself: 4.5-15 s,
  about 4 s of it CPU (pip reads grpcio's 5 MB index page, unpacks a 7 MB wheel). The
  index must be reachable; when it is not, the test fails saying so. The index answers
  here carry no cache headers, so pip caches nothing and a second run costs what the
  first did.
- Why not give the fresh environment the suite's packages through a ``.pth`` line and
  install the wheel alone (1.5 s, offline)? pip would then find every dependency
  already there, so a dependency missing from ``install_requires`` would go unnoticed:
  with ``grpcio-health-checking`` taken out of setup.cfg this test fails (the service
  imports ``grpc_request_client.testing``, which needs ``grpc_health``); with the
  ``.pth`` line it would pass. The wheel's extras are checked in its metadata, since
  ``opentelemetry-sdk`` brings ``opentelemetry-api`` in any case.
- The service's ``order.proto`` is compiled with the suite's grpcio-tools (0.1 s) and its
  script runs in 0.3-0.5 s.

This folder's conftest.py runs these tests first, so that under xdist the 6-20 s of
the last one pass beside the rest of the suite instead of after it.
"""

import configparser
import email
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = Path(__file__).with_name("shop_service")
PACKAGE = "grpc_request_client"
# What .gitignore lists, but for the generated protos: a developer's tree has those.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".make",
)
# Seconds each step may take: generous, so only a hang (an unreachable index) fails it.
BUILD_TIMEOUT = 300.0
INSTALL_TIMEOUT = 600.0
RUN_TIMEOUT = 120.0


def setup_cfg() -> configparser.ConfigParser:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    return setup


VERSION = setup_cfg()["metadata"]["version"]
DIST_INFO = f"{PACKAGE}-{VERSION}.dist-info"


def without_python_variables() -> dict[str, str]:
    """This environment less ``PYTHONPATH`` and the like, which would let the checkout in."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}


def run(command: list[str | Path], *, cwd: Path, timeout: float, what: str) -> None:
    """Run ``command`` in ``cwd``; fail the test, saying ``what`` did not work, if it fails."""
    try:
        done = subprocess.run(  # noqa: S603  # the suite's own commands, no shell
            command,
            cwd=cwd,
            env=without_python_variables(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"{what}: still running after {timeout} s\n{hung.stdout}\n{hung.stderr}")
    if done.returncode != 0:
        pytest.fail(f"{what}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of this working tree: ``grpc_request_client-<ver>-*.whl``."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    built = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*build, source, "-w", built], cwd=work, timeout=BUILD_TIMEOUT, what="building the wheel")
    found = sorted(built.glob(f"{PACKAGE}-{VERSION}-*.whl"))
    assert len(found) == 1, f"pip wheel built {[path.name for path in built.iterdir()]}"
    return found[0]


@pytest.fixture
def python(wheel: Path, tmp_path: Path) -> Path:
    """The python of a fresh virtual environment holding the wheel, its extras and their needs."""
    venv = tmp_path / "venv"
    run(
        [sys.executable, "-m", "venv", "--without-pip", venv],
        cwd=tmp_path,
        timeout=RUN_TIMEOUT,
        what="creating a virtual environment",
    )
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-input"]
    run(
        [*install, f"{wheel}[otel,prometheus]", "opentelemetry-sdk"],
        cwd=tmp_path,
        timeout=INSTALL_TIMEOUT,
        what=(
            "installing the wheel with its dependencies into a fresh virtual environment "
            "(this needs the package index: reach PyPI, or point PIP_INDEX_URL or "
            "PIP_FIND_LINKS at a mirror with grpcio, protobuf, opentelemetry and "
            "prometheus-client)"
        ),
    )
    return python


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A copy of ``shop_service/``, its ``protos/order.proto`` compiled beside it."""
    service = tmp_path / "shop_service"
    shutil.copytree(SERVICE, service, ignore=NOT_SOURCE)
    protoc = [sys.executable, "-m", "grpc_tools.protoc", "-I.", "--python_out=."]
    run(
        [*protoc, "--grpc_python_out=.", "protos/order.proto"],
        cwd=service,
        timeout=RUN_TIMEOUT,
        what="compiling the service's order.proto",
    )
    return service.resolve()


def test_the_wheel_holds_the_grpc_request_client_package_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {PACKAGE, DIST_INFO}
    sources = [*(ROOT / PACKAGE).rglob("*.py"), ROOT / PACKAGE / "py.typed"]
    expected = {path.relative_to(ROOT).as_posix() for path in sources}
    assert {name for name in names if name.startswith(f"{PACKAGE}/")} == expected
    assert {f"{PACKAGE}/py.typed", f"{PACKAGE}/testing/__init__.py"} <= expected


def test_the_wheel_declares_the_otel_and_prometheus_extras(wheel: Path) -> None:
    metadata = email.message_from_bytes(zipfile.ZipFile(wheel).read(f"{DIST_INFO}/METADATA"))
    assert metadata["Requires-Python"] == setup_cfg()["options"]["python_requires"]
    assert {"otel", "prometheus"} <= set(metadata.get_all("Provides-Extra", []))
    extras: dict[str, set[str]] = {}
    for requirement in metadata.get_all("Requires-Dist", []):
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        extra = re.search(r'extra == "([a-z]+)"', requirement)
        assert name is not None
        extras.setdefault(extra[1] if extra else "", set()).add(name[0])
    assert extras["otel"] == {"opentelemetry-api"}
    assert extras["prometheus"] == {"prometheus-client"}
    assert not {"opentelemetry-api", "prometheus-client"} & extras[""]


def test_a_service_with_its_own_app_and_protos_calls_through_the_installed_wheel(
    python: Path, service: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    run(
        [python, "report_installed_client.py", report],
        cwd=service,
        timeout=RUN_TIMEOUT,
        what="running the service on the installed wheel",
    )
    seen = json.loads(report.read_text())
    purelib = Path(seen["purelib"])
    origins = {name: Path(file) for name, file in seen["origins"].items()}
    assert origins["app"] == service / "app" / "__init__.py"
    assert origins["protos"] == service / "protos" / "__init__.py"
    assert origins["protos.order_pb2"] == service / "protos" / "order_pb2.py"
    assert origins[PACKAGE] == purelib / PACKAGE / "__init__.py"
    assert origins[f"{PACKAGE}.testing"] == purelib / PACKAGE / "testing" / "__init__.py"
    assert seen["replies"] == {
        "sync": {"code": "OK", "order_id": "o-1", "status": "shipped"},
        "async": {"code": "OK", "order_id": "o-2", "status": "shipped"},
    }
    assert seen["spans"] == [["shop.OrderService/GetOrder", "CLIENT"]] * 2
    assert seen["handled_ok"] == 2.0
    assert not (purelib / "app").exists()
    assert not (purelib / "protos").exists()
    record = (purelib / DIST_INFO / "RECORD").read_text().splitlines()
    assert {line.split("/")[0] for line in record} == {PACKAGE, DIST_INFO}
