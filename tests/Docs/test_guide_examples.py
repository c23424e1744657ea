"""Runs every ```python block of the docs against an embedded DemoServer.

The pages are docs/*.md, README.md and tests/Docs/spec_examples.md (the examples of the
specification the service template follows). The docs promise their examples work, so
each block is executed as written, in a fresh namespace, with one change: quoted
``host:50051`` addresses (``"localhost:50051"``, ``"catalog-service:50051"``...) become
the DemoServer's address. Blocks with a top-level ``await`` run in an event loop, as in
``python -m asyncio``. Markdown comments on the lines right above a fence say
what to check:

* ``<!-- expect-output: TEXT -->``: TEXT must appear in what the block prints;
  every block that runs needs at least one.
* ``<!-- not-run: REASON -->``: the block is only compiled (it needs something this
  project does not install); how many there are is pinned below, so none slips in unseen.
"""

import ast
import asyncio
import contextlib
import inspect
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from app.Demo.DemoServer import DemoServer
from grpc_request_client import EventLoopBlockedWarning

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "README.md",
    Path(__file__).resolve().parent / "spec_examples.md",
]
EXPECTED_NOT_RUN = 1
# Blocks that make a blocking call (call(), call_service()...) beside a top-level await: run
# as the asyncio REPL runs them, that call blocks the REPL's event loop, and the client says
# so (EventLoopBlockedWarning). The manual keeps the two apart; the specification's first
# example mixes them, and runs as written, so it must warn.
BLOCKS_THE_LOOP = {"spec_examples.md:15"}
_OPENING = re.compile(r"^```python\s*$")
_CLOSING = re.compile(r"^```\s*$")
_MARKER = re.compile(r"^<!--\s*(not-run|expect-output):\s*(.*?)\s*-->\s*$")
_ADDRESS = re.compile(r"""(["'])[A-Za-z0-9.-]+:50051\1""")


@dataclass(frozen=True)
class DocBlock:
    path: Path
    line: int
    code: str
    expected: tuple[str, ...]
    not_run: str | None

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def _blocks_in(path: Path) -> Iterator[DocBlock]:
    lines = path.read_text(encoding="utf-8").splitlines()
    markers: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _MARKER.match(line)
        if marker:
            markers.append((marker[1], marker[2]))
        elif _OPENING.match(line):
            end = index + 1
            while end < len(lines) and not _CLOSING.match(lines[end]):
                end += 1
            if end == len(lines):
                raise AssertionError(f"{path.name}:{index + 1}: unclosed ```python fence")
            not_run = [text for kind, text in markers if kind == "not-run"]
            yield DocBlock(
                path,
                index + 1,
                "\n".join(lines[index + 1 : end]) + "\n",
                tuple(text for kind, text in markers if kind == "expect-output"),
                not_run[0] if not_run else None,
            )
            markers = []
            index = end
        else:
            markers = []
        index += 1


def _all_blocks() -> list[DocBlock]:
    return [block for path in PAGES for block in _blocks_in(path)]


BLOCKS = _all_blocks()
RUN = [block for block in BLOCKS if block.not_run is None]
NOT_RUN = [block for block in BLOCKS if block.not_run is not None]


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as running:
        yield running


def _execute(block: DocBlock, target: str) -> str:
    # Each block is a program of its own: it starts as an application that never configured
    # structlog, whatever an earlier block (or test) in this process did.
    structlog.reset_defaults()
    source = _ADDRESS.sub(repr(target), block.code)
    code = compile(source, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, object] = {"__name__": "__docs_example__"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        if code.co_flags & inspect.CO_COROUTINE:
            # Top-level await: eval hands back the block as a coroutine, as the asyncio REPL does.
            asyncio.run(eval(code, namespace))  # noqa: S307  # our own docs, not input
        else:
            exec(code, namespace)  # noqa: S102  # our own docs, not input
    return output.getvalue()


def test_the_docs_have_examples_to_run() -> None:
    assert len(RUN) >= 20, [block.id for block in BLOCKS]


def test_every_block_that_runs_says_what_it_should_print() -> None:
    unchecked = [block.id for block in RUN if not block.expected]
    assert unchecked == [], "add <!-- expect-output: ... --> above these blocks"


def test_the_blocks_known_to_block_the_loop_are_blocks_that_run() -> None:
    assert {block.id for block in RUN} >= BLOCKS_THE_LOOP


def test_blocks_that_do_not_run_are_the_known_few() -> None:
    assert len(NOT_RUN) == EXPECTED_NOT_RUN, [(b.id, b.not_run) for b in NOT_RUN]
    assert all(block.not_run for block in NOT_RUN), "every not-run marker needs a reason"


@pytest.mark.parametrize("block", RUN, ids=[block.id for block in RUN])
def test_example_runs_and_prints_what_the_docs_say(block: DocBlock, server: DemoServer) -> None:
    if block.id in BLOCKS_THE_LOOP:
        with pytest.warns(EventLoopBlockedWarning):
            output = _execute(block, server.target)
    else:
        output = _execute(block, server.target)

    missing = [text for text in block.expected if text not in output]
    assert missing == [], f"{block.id} printed:\n{output}"


@pytest.mark.parametrize("block", NOT_RUN, ids=[block.id for block in NOT_RUN])
def test_example_that_cannot_run_here_still_compiles(block: DocBlock) -> None:
    code = compile(block.code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

    assert code.co_filename == block.id
