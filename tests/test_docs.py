"""Every Python code block in the README and in docs/ runs, so the docs cannot drift."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, int, str]]:
    """(page, index, source) of each python block."""
    found = []
    for page in PAGES:
        for i, m in enumerate(BLOCK.finditer(page.read_text())):
            found.append((page.name, i, m.group(1)))
    return found


@pytest.mark.parametrize(("page", "index", "source"), blocks())
def test_code_block_runs(
    page: str, index: int, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block executes without error (its asserts are the test), as a script with no args."""
    monkeypatch.setattr(sys, "argv", [page])
    code = compile(source, f"{page}[{index}]", "exec", dont_inherit=True)  # no __future__ of ours
    exec(code, {"__name__": "docs"})


def test_docs_have_code_blocks() -> None:
    """The README and the getting-started page have runnable examples to check."""
    names = {page for page, _, _ in blocks()}
    assert {"README.md", "getting-started.md"} <= names
