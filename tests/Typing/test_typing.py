"""mypy, strict and with the project's own configuration, over the files in ``checked/``.

``typed_calls.py`` states with ``assert_type`` what calls, streams, replies, the fake and
the options are typed as, and must check without an error; ``typing_mistakes.py`` holds the
mistakes the types exist to catch, each after a ``# expect[code]: words`` comment, and
mypy must report exactly those: each with its code and words, and nothing else.

One test runs mypy once (in this process, through ``mypy.api``), so that under xdist one
worker pays for it. It shares ``make lint``'s cache, ``.mypy_cache``: the same configuration
makes the same entries for the library and the protos, so after ``make lint`` (``make test``
runs it first) only these files are new and mypy takes well under a second; from no cache
it took 3 to 8 s here. mypy keeps that cache in SQLite, which serialises concurrent writers.
"""

import gc
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
CHECKED = Path(__file__).parent / "checked"
EXPECTED = re.compile(r"^\s*# expect\[(?P<code>[\w-]+)\]: (?P<words>.+)$")
REPORTED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<says>.+)  \[(?P<code>[\w-]+)\]$")


@dataclass(frozen=True)
class Expected:
    path: str
    line: int
    code: str
    words: str

    def met_by(self, error: "Reported") -> bool:
        return (error.path, error.line, error.code) == (self.path, self.line, self.code) and (
            self.words in error.says
        )


@dataclass(frozen=True)
class Reported:
    path: str
    line: int
    code: str
    says: str


def _expected(path: Path) -> list[Expected]:
    """Each ``# expect[...]`` comment, for the line of code after it."""
    lines = path.read_text().splitlines()
    relative = str(path.relative_to(ROOT))
    found = []
    for number, text in enumerate(lines, start=1):
        marked = EXPECTED.match(text)
        if marked:
            found.append(Expected(relative, number + 1, marked["code"], marked["words"]))
    return found


def _mypy(cache: Path, files: list[Path]) -> tuple[list[Reported], str]:
    """Run mypy here, putting back the garbage collector and recursion settings it changes."""
    threshold, recursion = gc.get_threshold(), sys.getrecursionlimit()
    arguments = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache)]
    try:
        out, err, _ = api.run([*arguments, *(str(f.relative_to(ROOT)) for f in files)])
    finally:
        gc.set_threshold(*threshold)
        sys.setrecursionlimit(recursion)
    errors = [
        Reported(m["path"], int(m["line"]), m["code"], m["says"])
        for m in map(REPORTED.match, out.splitlines())
        if m
    ]
    return errors, out + err


def test_mypy_infers_the_declared_types_and_reports_each_mistake_where_expected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # mypy finds the worktree's packages (and protos) from here
    files = sorted(CHECKED.glob("*.py"))
    expected = [e for path in files for e in _expected(path)]

    errors, output = _mypy(ROOT / ".mypy_cache", files)

    missing = [e for e in expected if not any(e.met_by(error) for error in errors)]
    unexpected = [error for error in errors if not any(e.met_by(error) for e in expected)]
    assert expected, "typing_mistakes.py lost its expectations"
    assert not missing, f"mypy did not report {missing}:\n{output}"
    assert not unexpected, f"mypy reported more than was expected: {unexpected}"
    assert len(errors) == len(expected), output
