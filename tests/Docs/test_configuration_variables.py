"""docs/configuration.md's table of variables against the variables the settings declare."""

import re
from pathlib import Path

from app.Contexts.Shared.Infrastructure.Grpc.Client.Registry.GrpcClientEnvironment import (
    GrpcClientEnvironment,
)

PAGE = Path(__file__).parents[2] / "docs" / "configuration.md"
_HEADER = "| variable | sets | value |"


def _documented() -> list[str]:
    """Every variable named in the first column of the page's table, in order."""
    lines = PAGE.read_text().splitlines()
    table = []
    for line in lines[lines.index(_HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        table.append(line.split(" | ")[0])
    return [name for cell in table for name in re.findall(r"`(\w+)`", cell)]


def test_every_declared_variable_is_documented_once_and_nothing_else_is() -> None:
    documented = _documented()
    declared = GrpcClientEnvironment.variables("user-service")

    assert sorted(set(declared) - set(documented)) == [], "declared but not documented"
    assert sorted(set(documented) - set(declared)) == [], "documented but not declared"
    assert len(documented) == len(set(documented))
