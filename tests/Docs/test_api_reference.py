"""docs/api.md against the public modules: every name of each ``__all__`` is listed, once.

The page has a ``## `module` `` section per public module, and lists each name as a bullet
starting with it in backquotes (``- `GrpcClient`: ...``), under topic headings of its own.
"""

import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

API_PAGE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
MODULES = [
    "grpc_request_client",
    "grpc_request_client.testing",
    "grpc_request_client.otel",
    "grpc_request_client.prometheus",
]
_SECTION = re.compile(r"^## `([\w.]+)`\s*$")
_ENTRY = re.compile(r"^- `(\w+)`")


def _listed() -> dict[str, list[str]]:
    """Each module section's listed names, in page order; names before any section fail."""
    listed: dict[str, list[str]] = {}
    module = None
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        section = _SECTION.match(line)
        if section:
            module = section[1]
            listed.setdefault(module, [])
            continue
        entry = _ENTRY.match(line)
        if entry:
            assert module is not None, f"{entry[1]} is listed before any module section"
            listed[module].append(entry[1])
    return listed


def test_the_page_has_a_section_for_each_public_module_and_no_other() -> None:
    assert sorted(_listed()) == sorted(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_a_module_section_lists_exactly_its_public_names(module: str) -> None:
    listed = _listed()[module]
    public = importlib.import_module(module).__all__

    assert sorted(set(public) - set(listed)) == [], "public but not on docs/api.md"
    assert sorted(set(listed) - set(public)) == [], "on docs/api.md but not public"
    assert [name for name, count in Counter(listed).items() if count > 1] == []
