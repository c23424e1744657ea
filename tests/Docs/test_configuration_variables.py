"""The docs' tables of settings against the declaration: a new option fails here until documented.

docs/configuration.md lists every environment variable, and in its "Client options" table
every keyword of ``GrpcClient`` beyond its own.
"""

import dataclasses
import re
from pathlib import Path

from grpc_request_client import GrpcClientSettings
from grpc_request_client.registry import GrpcClientEnvironment

DOCS = Path(__file__).parents[2] / "docs"


def _documented(page: str, header: str) -> list[str]:
    """Every name in backquotes in the first column of the page's table under ``header``."""
    lines = (DOCS / page).read_text().splitlines()
    table = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        table.append(line.split(" | ")[0])
    return [name for cell in table for name in re.findall(r"`(\w+)`", cell)]


def test_every_declared_variable_is_documented_once_and_nothing_else_is() -> None:
    documented = _documented("configuration.md", "| variable | sets | value |")
    declared = GrpcClientEnvironment.variables("user-service")

    assert sorted(set(declared) - set(documented)) == [], "declared but not documented"
    assert sorted(set(documented) - set(declared)) == [], "documented but not declared"
    assert len(documented) == len(set(documented))


def test_every_option_of_the_client_is_in_the_table_of_client_options() -> None:
    documented = _documented("configuration.md", "| argument | meaning |")
    options = [field.name for field in dataclasses.fields(GrpcClientSettings)][1:]

    assert sorted(documented) == sorted(options)
